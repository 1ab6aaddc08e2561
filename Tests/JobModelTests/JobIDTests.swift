import Foundation
import JobModel
import Testing

@Suite("Job ids")
struct JobIDTests {
    /// The 32 characters of Crockford base32, in the order of their values.
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// The milliseconds encoded by the first ten characters of an id.
    static func milliseconds(of id: String) throws -> UInt64 {
        try id.prefix(10).reduce(UInt64(0)) { value, character in
            let digit = try #require(alphabet.firstIndex(of: character), "\(character) is not base32")
            return value << 5 | UInt64(digit)
        }
    }

    @Test("a new id is 26 Crockford base32 characters whose prefix is the current time")
    func shapeAndTime() throws {
        let before = Clock.milliseconds()
        let id = JobID.make()
        let after = Clock.milliseconds()

        #expect(id.count == 26)
        #expect(id.allSatisfy { Self.alphabet.contains($0) }, "\(id)")
        let encoded = try Self.milliseconds(of: id)
        #expect(encoded >= before && encoded <= after, "\(encoded) not in \(before)...\(after)")
    }

    @Test("ids made in a later millisecond sort after earlier ones")
    func orderedAcrossMilliseconds() throws {
        let first = JobID.make()
        Thread.sleep(forTimeInterval: 0.005)
        let second = JobID.make()

        #expect(first < second)
        #expect(try Self.milliseconds(of: second) > Self.milliseconds(of: first))
    }

    @Test("ids made within one millisecond still increase strictly")
    func increasingWithinOneMillisecond() throws {
        let ids = (0..<5_000).map { _ in JobID.make() }

        for (earlier, later) in zip(ids, ids.dropFirst()) {
            #expect(earlier < later, "\(earlier) !< \(later)")
        }
        let sharedMillisecond = zip(ids, ids.dropFirst()).filter { $0.prefix(10) == $1.prefix(10) }.count
        #expect(sharedMillisecond > 0, "no two ids fell in the same millisecond; the same-millisecond path ran")
        #expect(Set(ids).count == ids.count)
    }

    @Test("ids made on many threads at once are all different")
    func uniqueAcrossThreads() async {
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<8 { group.addTask { (0..<500).map { _ in JobID.make() } } }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(ids).count == 4_000)
    }

    @Test("the id derived from a stream entry is deterministic, well formed and encodes the entry's time")
    func derivedIsDeterministic() throws {
        let first = try #require(JobID.derived(fromStreamEntry: "1700000000123-4"))
        let again = try #require(JobID.derived(fromStreamEntry: "1700000000123-4"))

        #expect(first == again)
        #expect(first.count == 26)
        #expect(first.allSatisfy { Self.alphabet.contains($0) })
        #expect(try Self.milliseconds(of: first) == 1_700_000_000_123)
        #expect(JobID.isValidClientID(first))
    }

    @Test("different stream entries derive different ids, ordered like the entries")
    func derivedDiffersPerEntry() throws {
        let entries = ["1700000000123-0", "1700000000123-1", "1700000000123-2", "1700000000124-0", "1800000000000-7"]
        let ids = try entries.map { try #require(JobID.derived(fromStreamEntry: $0)) }

        #expect(Set(ids).count == entries.count)
        #expect(ids == ids.sorted())
    }

    @Test("malformed stream entry ids derive nothing", arguments: ["", "abc", "12", "1-2-3", "-1", "1-", "x-1", "1-y"])
    func derivedRefusesMalformedEntries(entry: String) {
        #expect(JobID.derived(fromStreamEntry: entry) == nil)
    }

    @Test(
        "client ids of 1 to 64 letters, digits, dots, underscores and dashes are valid",
        arguments: ["a", "Z", "0", "job-1", "order_2026.03.01", "A.b_C-d", String(repeating: "x", count: 64)])
    func validClientIDs(id: String) {
        #expect(JobID.isValidClientID(id))
    }

    @Test(
        "client ids that are empty, too long or hold other characters are refused",
        arguments: ["", String(repeating: "x", count: 65), "a b", "a/b", "a:b", "a*", "ü", "job\n", "a%20b", "{ns}"])
    func invalidClientIDs(id: String) {
        #expect(!JobID.isValidClientID(id))
    }
}
