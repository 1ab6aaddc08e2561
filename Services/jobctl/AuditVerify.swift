import AuditArchive
import Foundation
import JobModel
import RedisClient

/// `audit verify`: checks the hash chain over the entries still on the audit stream and against the chain head.
///
/// The stream is trimmed, so its first chained entry's seq and prevHash are taken as given; every later entry
/// must follow on. Entries written before the chain existed (no `seq`) are skipped when they come first.
/// Returns `.success` for a sound chain and `.jobUnsuccessful` (exit 1) for a broken one.
func verifyAuditStream(printer: Printer) throws -> ExitCode {
    let (configuration, keyspace) = try redisTarget()
    let connection = try connectRedis(configuration, readTimeout: .seconds(30))
    let outcome: (verifier: AuditChainVerifier, failure: AuditChainBreak?, unchained: Int)
    do {
        outcome = try checkAuditStream(connection, keyspace: keyspace)
    } catch {
        throw CommandLineError(message: "Redis: \(error)", code: .unavailable)
    }
    if outcome.unchained > 0 {
        writeError("skipped \(outcome.unchained) audit entries written before the chain began")
    }
    let verifier = outcome.verifier
    if printer.json {
        if let failure = outcome.failure {
            printer.show([
                "ok": false, "brokenAt": .int(failure.seq), "streamId": .string(failure.streamId),
                "reason": .string(failure.reason), "entries": .int(verifier.count),
            ])
        } else {
            printer.show(["ok": true, "entries": .int(verifier.count), "head": .string(verifier.head.hash)])
        }
    } else {
        print(outcome.failure?.description ?? verifier.summary)
    }
    return outcome.failure == nil ? .success : .jobUnsuccessful
}

/// Reads the head, then the whole audit stream page by page, checking each entry.
private func checkAuditStream(
    _ connection: RedisConnection, keyspace: Keyspace
) throws(RedisError) -> (verifier: AuditChainVerifier, failure: AuditChainBreak?, unchained: Int) {
    let headFields = try connection.command(["HMGET", keyspace.auditHead, "seq", "hash"]).array ?? []
    let headSeq = headFields.first?.string.flatMap { Int($0) }
    let headHash = headFields.count > 1 ? headFields[1].string : nil

    var verifier = AuditChainVerifier(fromGenesis: false)
    var unchained = 0
    var hashAtHeadSeq: String?
    var start = "-"
    reading: while true {
        let reply = try connection.command(["XRANGE", keyspace.audit, start, "+", "COUNT", "1000"])
        let items: [(id: String, fields: [String: String])] = (reply.array ?? []).compactMap { item in
            guard let pair = item.array, pair.count == 2, let id = pair[0].string else { return nil }
            return (id, pair[1].fieldDictionary)
        }
        guard let lastId = items.last?.id else { break }
        start = "(" + lastId
        for item in items {
            guard let entry = AuditEntry(streamId: item.id, fields: item.fields) else {
                if verifier.count == 0 {
                    unchained += 1
                    continue
                }
                let failure = AuditChainBreak(
                    seq: verifier.head.seq + 1, streamId: item.id,
                    reason: "the entry after seq \(verifier.head.seq) has no seq or hash")
                return (verifier, failure, unchained)
            }
            if !verifier.check(entry) { break reading }
            if entry.seq == headSeq { hashAtHeadSeq = entry.hash }
        }
    }
    if let failure = verifier.failure { return (verifier, failure, unchained) }

    // The head was read first, so the stream reaches at least as far unless entries were removed from its end.
    guard let headSeq, let headHash else { return (verifier, nil, unchained) }
    if verifier.count == 0 || headSeq > verifier.head.seq {
        let end = verifier.count == 0 ? "has no chained entries" : "ends at seq \(verifier.head.seq)"
        let failure = AuditChainBreak(
            seq: verifier.count == 0 ? headSeq : verifier.head.seq + 1, streamId: "",
            reason: "the chain head is at seq \(headSeq) but the audit stream \(end): entries were removed")
        return (verifier, failure, unchained)
    }
    if let hashAtHeadSeq, hashAtHeadSeq != headHash {
        let failure = AuditChainBreak(
            seq: headSeq, streamId: "",
            reason: "the chain head names hash \(headHash) for seq \(headSeq), the stream's entry has \(hashAtHeadSeq)")
        return (verifier, failure, unchained)
    }
    return (verifier, nil, unchained)
}

private func writeError(_ text: String) {
    FileHandle.standardError.write(Data("jobctl: \(text)\n".utf8))
}
