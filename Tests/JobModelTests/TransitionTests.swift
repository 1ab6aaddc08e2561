import JobModel
import Testing

@Suite("Job status transitions")
struct TransitionTests {
    /// Every move the lifecycle allows, written out by hand so the table in the code is checked against it.
    static let expectedMoves: Set<Move> = [
        Move(.accepted, .scheduled), Move(.accepted, .running), Move(.accepted, .cancelled),
        Move(.scheduled, .running), Move(.scheduled, .cancelled),
        Move(.running, .succeeded), Move(.running, .failed), Move(.running, .cancelled), Move(.running, .scheduled),
        Move(.failed, .scheduled), Move(.cancelled, .scheduled),
    ]

    /// One status change, for comparing sets of them.
    struct Move: Hashable, CustomStringConvertible {
        let from: JobStatus
        let to: JobStatus

        init(_ from: JobStatus, _ to: JobStatus) {
            self.from = from
            self.to = to
        }

        var description: String { "\(from.rawValue)→\(to.rawValue)" }
    }

    @Test("allows exactly the documented moves and refuses every other pair")
    func allowsExactlyTheDocumentedMoves() {
        for from in JobStatus.allCases {
            for to in JobStatus.allCases {
                let move = Move(from, to)
                #expect(JobTransitions.allows(from, to: to) == Self.expectedMoves.contains(move), "\(move)")
            }
        }
    }

    @Test("refuses backwards moves and moves that skip running")
    func refusesBackwardsMoves() {
        #expect(!JobTransitions.allows(.succeeded, to: .running))
        #expect(!JobTransitions.allows(.succeeded, to: .scheduled))
        #expect(!JobTransitions.allows(.running, to: .accepted))
        #expect(!JobTransitions.allows(.scheduled, to: .accepted))
        #expect(!JobTransitions.allows(.accepted, to: .succeeded))
        #expect(!JobTransitions.allows(.scheduled, to: .failed))
        #expect(!JobTransitions.allows(.failed, to: .running))
    }

    @Test("no status may move to itself")
    func noStatusMovesToItself() {
        for status in JobStatus.allCases {
            #expect(!JobTransitions.allows(status, to: status), "\(status)")
        }
    }

    @Test("succeeded, failed and cancelled are the terminal statuses")
    func terminalStatuses() {
        let terminal = Set(JobStatus.allCases.filter(\.isTerminal))
        #expect(terminal == [.succeeded, .failed, .cancelled])
    }

    @Test("a terminal status can only be left through a retry to scheduled")
    func terminalStatusesOnlyRetry() {
        for status in JobStatus.allCases where status.isTerminal {
            let targets = JobStatus.allCases.filter { JobTransitions.allows(status, to: $0) }
            #expect(targets.allSatisfy { $0 == .scheduled }, "\(status) → \(targets)")
        }
        #expect(JobTransitions.allowed[.succeeded]?.isEmpty == true)
    }

    @Test("the generated Lua table names every status and lists each status's allowed targets on its line")
    func luaTableMatchesSwiftTable() throws {
        let lua = JobTransitions.luaTable
        #expect(lua.hasPrefix("local TRANSITIONS = {"))
        #expect(lua.contains("local function can_move(from, to)"))
        let lines = lua.split(separator: "\n").map(String.init)
        for from in JobStatus.allCases {
            let line = try #require(
                lines.first { $0.trimmingPrefixSpaces.hasPrefix("\(from.rawValue) = {") },
                "no line for \(from.rawValue)")
            for to in JobStatus.allCases {
                let listed = line.contains("\(to.rawValue) = true")
                #expect(listed == JobTransitions.allows(from, to: to), "\(from.rawValue) line: \(line)")
            }
        }
    }

    @Test("each status enters through the lifecycle event named after it")
    func lifecycleEventPerStatus() {
        for status in JobStatus.allCases {
            #expect(LifecycleEventType(enteredStatus: status).rawValue == "job.\(status.rawValue)")
        }
    }
}

extension String {
    /// The text without its leading spaces.
    fileprivate var trimmingPrefixSpaces: Substring { drop { $0 == " " } }
}
