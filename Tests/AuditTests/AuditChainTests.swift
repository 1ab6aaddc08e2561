import AuditArchive
import JobModel
import Testing

@Suite("Audit chain")
struct AuditChainTests {
    @Test("the canonical text is the ten content fields, one per line")
    func canonicalText() {
        let entry = AuditEntry(
            seq: 7, at: 1_700_000_000_123, type: "job.failed", jobId: "j1", taskId: "", operation: "demo.fail",
            principal: "alice", status: "failed", details: "{\"code\":\"x\"}", eventId: "1-0",
            prevHash: AuditChain.genesisHash)
        #expect(
            AuditChain.canonicalText(of: entry)
                == "7\n1700000000123\njob.failed\nj1\n\ndemo.fail\nalice\nfailed\n{\"code\":\"x\"}\n1-0")
    }

    @Test("the hash is SHA-256 of prevHash, a line feed and the canonical text")
    func hashDefinition() {
        let entry = AuditEntry(event: sampleEvent(1), seq: 1, prevHash: AuditChain.genesisHash)
        #expect(entry.hash == SHA256.hex(AuditChain.genesisHash + "\n" + AuditChain.canonicalText(of: entry)))
        #expect(entry.hash.count == 64)
        // A fixed value, so that a change of the canonical form cannot go unnoticed.
        let fixed = AuditEntry(
            seq: 1, at: 0, type: "t", jobId: "", taskId: "", operation: "", principal: "", status: "",
            details: "", eventId: "e", prevHash: AuditChain.genesisHash)
        #expect(
            AuditChain.hash(of: fixed) == SHA256.hex(String(repeating: "0", count: 64) + "\n1\n0\nt\n\n\n\n\n\n\ne"))
    }

    @Test("line feeds and backslashes inside values are escaped, so fields cannot trade text")
    func escaping() {
        var first = AuditEntry(event: sampleEvent(2), seq: 1, prevHash: AuditChain.genesisHash)
        first.status = "a\nb"
        first.details = "c"
        var second = first
        second.status = "a"
        second.details = "b\nc"
        #expect(AuditChain.canonicalText(of: first) != AuditChain.canonicalText(of: second))
        #expect(AuditChain.hash(of: first) != AuditChain.hash(of: second))
        var slashed = first
        slashed.status = "a\\nb"
        #expect(AuditChain.canonicalText(of: slashed) != AuditChain.canonicalText(of: first))
        #expect(AuditChain.canonicalText(of: first).contains("a\\nb\nc"))
    }

    @Test("linking numbers entries after the head and chains each to the one before")
    func linking() {
        let entries = AuditChain.link((1...5).map { sampleEvent($0) }, after: .empty)
        #expect(entries.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(entries[0].prevHash == AuditChain.genesisHash)
        for index in 1..<entries.count {
            #expect(entries[index].prevHash == entries[index - 1].hash)
            #expect(entries[index].hash == AuditChain.hash(of: entries[index]))
        }
        let more = AuditChain.link([sampleEvent(6)], after: AuditHead(seq: 5, hash: entries[4].hash))
        #expect(more[0].seq == 6)
        #expect(more[0].prevHash == entries[4].hash)
        #expect(more[0].eventId == "1700000000000-6")
    }

    @Test("stream fields read back to the same entry")
    func streamFields() {
        var entry = sampleChain(4)[3]
        entry.streamId = "1800000000000-9"
        var fields: [String: String] = [:]
        var index = 0
        while index < entry.streamFields.count {
            fields[entry.streamFields[index]] = entry.streamFields[index + 1]
            index += 2
        }
        #expect(fields["taskId"] == "task-4")
        #expect(AuditEntry(streamId: "1800000000000-9", fields: fields) == entry)
        #expect(AuditEntry(streamId: "1-0", fields: ["type": "job.accepted", "at": "1"]) == nil)
    }

    @Test("a sound chain verifies, from genesis and from the middle")
    func soundChain() {
        let entries = sampleChain(10)
        var full = AuditChainVerifier(fromGenesis: true)
        entries.forEach { full.check($0) }
        #expect(full.failure == nil)
        #expect(full.count == 10)
        #expect(full.summary == "ok: 10 entries, head \(entries[9].hash)")

        var tail = AuditChainVerifier(fromGenesis: false)
        entries.dropFirst(4).forEach { tail.check($0) }
        #expect(tail.failure == nil)
        #expect(tail.count == 6)

        var fromGenesis = AuditChainVerifier(fromGenesis: true)
        entries.dropFirst(4).forEach { fromGenesis.check($0) }
        #expect(fromGenesis.failure?.seq == 1)
    }

    @Test("the verifier names the first entry that does not fit", arguments: ["content", "prevHash", "hash", "gap"])
    func brokenChain(change: String) throws {
        var entries = sampleChain(8)
        switch change {
        case "content": entries[4].principal = "mallory"
        case "prevHash": entries[4].prevHash = entries[2].hash
        case "hash": entries[4].hash = String(repeating: "f", count: 64)
        default: entries.remove(at: 4)
        }
        var verifier = AuditChainVerifier(fromGenesis: true)
        entries.forEach { verifier.check($0) }
        let failure = try #require(verifier.failure)
        #expect(failure.seq == 5)
        #expect(verifier.count == 4)
        #expect(failure.description.hasPrefix("broken at seq 5 (stream id 1800000000000-"))
        if change == "gap" { #expect(failure.reason.contains("seq 5 is missing")) }
        if change == "content" { #expect(failure.reason.contains("the entry was changed")) }
    }

    @Test("query parameters are read and checked")
    func queryParameters() throws {
        let query = try AuditQuery(parameters: [
            "since": "2023-11-14T22:13:20Z", "until": "1700000100000", "principal": "alice", "type": "job.failed",
            "jobId": "", "limit": "500", "cursor": "42",
        ])
        #expect(query.since == 1_700_000_000_000)
        #expect(query.until == 1_700_000_100_000)
        #expect(query.principal == "alice")
        #expect(query.jobId == nil)
        #expect(query.limit == 500)
        #expect(query.afterSeq == 42)
        #expect(try AuditQuery(parameters: [:]).limit == 100)
        let bad: [[String: String]] = [
            ["limit": "0"], ["limit": "501"], ["limit": ""], ["since": "yesterday"], ["since": "2077-02-30T00:00:00Z"],
            ["cursor": "-1"], ["cursor": ""], ["cursor": "99999999999999999999"], ["jobid": "x"],
        ]
        for parameters in bad {
            #expect(throws: AuditQuery.Invalid.self, "\(parameters)") { try AuditQuery(parameters: parameters) }
        }
        let backwards = try AuditQuery(parameters: ["since": "20", "until": "10"])
        #expect(backwards.since == 20 && backwards.until == 10, "an empty range is a valid query")
    }
}
