/// The one table of allowed status changes. Every service changes a job's status only through Lua scripts that
/// embed this table (see `luaTable`), so the rule is enforced atomically inside Redis, whoever asks.
public enum JobTransitions {
    /// Allowed next statuses for each status.
    public static let allowed: [JobStatus: Set<JobStatus>] = [
        .accepted: [.scheduled, .running, .cancelled],
        .scheduled: [.running, .cancelled],
        // Back to scheduled when an attempt is retried or its worker died.
        .running: [.succeeded, .failed, .cancelled, .scheduled],
        // A manual retry runs a finished job again under the same id.
        .failed: [.scheduled],
        .cancelled: [.scheduled],
        .succeeded: [],
    ]

    /// Whether a job may move from `current` to `next`.
    public static func allows(_ current: JobStatus, to next: JobStatus) -> Bool {
        allowed[current]?.contains(next) ?? false
    }

    /// The table as a Lua definition of `TRANSITIONS[from][to] = true`, plus `can_move(from, to)`.
    public static var luaTable: String {
        var lines = ["local TRANSITIONS = {"]
        for status in JobStatus.allCases {
            let targets = (allowed[status] ?? []).map(\.rawValue).sorted().map { "\($0) = true" }
            lines.append("  \(status.rawValue) = { \(targets.joined(separator: ", ")) },")
        }
        lines.append("}")
        lines.append(
            "local function can_move(from, to) return TRANSITIONS[from] ~= nil and TRANSITIONS[from][to] == true end")
        return lines.joined(separator: "\n")
    }
}
