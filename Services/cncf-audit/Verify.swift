import AuditArchive
import JobServices

#if canImport(Glibc)
    import Glibc
#endif

let verifyUsage = """
    usage: cncf-audit verify [--db PATH]

    Re-reads the audit archive (PATH, else CNCF_AUDIT_DB, else \(AuditArchive.defaultPath)) in seq order and
    checks every hash, seq continuity and prevHash link. Prints `ok: N entries, head <hash>` and exits 0, or
    `broken at seq N (stream id …): <what differs>` and exits 1. Exits 2 when the archive cannot be read.
    """

/// `cncf-audit verify [--db PATH]`: checks the archive and returns the exit code.
func verifyArchive(_ arguments: [String]) -> Int32 {
    var path = AuditArchive.configuredPath(environment: ServiceConfiguration.currentEnvironment())
    var index = 0
    while index < arguments.count {
        switch arguments[index] {
        case "--db" where index + 1 < arguments.count:
            path = arguments[index + 1]
            index += 2
        case let word where word.hasPrefix("--db="):
            path = String(word.dropFirst("--db=".count))
            index += 1
        case "--help", "-h":
            print(verifyUsage)
            return 0
        default:
            printError("cncf-audit verify: unexpected argument '\(arguments[index])'\n\n\(verifyUsage)")
            return 2
        }
    }
    do {
        let result = try AuditArchive(path: path, mode: .readOnly).verify()
        print(result.summary)
        return result.failure == nil ? 0 : 1
    } catch {
        printError("cncf-audit verify: \(error)")
        return 2
    }
}

private func printError(_ text: String) {
    var line = text + "\n"
    line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}
