import Foundation
import RedisClient

/// A script call to send, or a plain command, with what to do with its reply.
struct ScriptCall: Sendable {
    let script: RedisScript?
    let keys: [String]
    let arguments: [String]
    /// Runs on the reader's thread while the rest of its pipeline is still in flight: it must not use the
    /// reader's connection.
    let handle: @Sendable (RedisValue) -> Void

    init(script: RedisScript, keys: [String], arguments: [String], handle: @escaping @Sendable (RedisValue) -> Void) {
        self.script = script
        self.keys = keys
        self.arguments = arguments
        self.handle = handle
    }

    /// A plain command; its reply is ignored (a failure leaves the entries pending, to be seen again).
    init(command: [String]) {
        script = nil
        keys = []
        arguments = command
        handle = { _ in }
    }

    /// The command to send, with the script's digest when it has one; `nil` while the digest is unknown.
    var command: [String]? {
        guard let script else { return arguments }
        return script.cachedDigest.map { script.evalCommand(digest: $0, keys: keys, arguments: arguments) }
    }
}

/// Commands a stream reader sends together with its next read, so that a batch's writes and the next batch's
/// read share one round trip.
///
/// Calls whose reply never came (the connection broke) are kept to be sent again after the reconnect: every call
/// put here must be safe to repeat, as the job scripts are (a repeated commit is refused). Calls that met
/// `NOSCRIPT` are kept too, and their script is loaded before they go out again.
struct Outbox {
    private(set) var calls: [ScriptCall] = []
    private var reload: Set<String> = []

    var isEmpty: Bool { calls.isEmpty }

    mutating func append(_ call: ScriptCall) { calls.append(call) }

    mutating func append(contentsOf other: [ScriptCall]) { calls.append(contentsOf: other) }

    /// Takes the calls out, with their commands, after loading the scripts they need.
    mutating func take(loadingScriptsOn connection: RedisConnection) throws(RedisError) -> (
        calls: [ScriptCall], commands: [[String]]
    ) {
        for call in calls {
            guard let script = call.script, script.cachedDigest == nil || reload.contains(script.name) else {
                continue
            }
            guard let digest = try connection.command(["SCRIPT", "LOAD", script.source]).string else {
                throw .unexpectedReply("SCRIPT LOAD of \(script.name) returned no digest")
            }
            script.remember(digest: digest)
            reload.remove(script.name)
        }
        let commands = calls.compactMap(\.command)
        guard commands.count == calls.count else { throw .unexpectedReply("a script of the outbox has no digest") }
        defer { calls = [] }
        return (calls, commands)
    }

    /// Hands each reply to its call, keeping the calls to send again: every one when `replies` is `nil` (the
    /// round trip failed), and those whose script Redis did not know.
    mutating func settle(_ sent: [ScriptCall], replies: [RedisValue]?) {
        guard let replies else {
            calls = sent + calls
            return
        }
        var again: [ScriptCall] = []
        for (call, reply) in zip(sent, replies) {
            if case .error(let message) = reply, message.hasPrefix("NOSCRIPT"), let script = call.script {
                reload.insert(script.name)
                again.append(call)
            } else {
                call.handle(reply)
            }
        }
        calls = again + calls
    }
}

extension StreamGroupReader {
    /// Sends what `outbox` holds and reads the next entries, in one round trip; see `next(count:after:handle:)`.
    /// When the outbox cannot be sent (Redis unreachable), waits a moment and returns no entries.
    func next(count: Int, sending outbox: inout Outbox) -> [StreamEntry] {
        let sent: [ScriptCall]
        let commands: [[String]]
        do {
            (sent, commands) = try outbox.take(loadingScriptsOn: try connection())
        } catch {
            reset()
            Thread.sleep(forTimeInterval: 0.1)
            return []
        }
        var settled = outbox
        let entries = next(count: count, after: commands) { replies in settled.settle(sent, replies: replies) }
        outbox = settled
        return entries
    }

    /// Sends what `outbox` holds, without reading; the outbox keeps what must be sent again.
    func flush(_ outbox: inout Outbox) {
        do {
            let (sent, commands) = try outbox.take(loadingScriptsOn: try connection())
            do {
                outbox.settle(sent, replies: try connection().pipeline(commands))
            } catch {
                reset()
                outbox.settle(sent, replies: nil)
            }
        } catch {
            reset()
        }
    }
}
