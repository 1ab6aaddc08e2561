import AuditArchive
import HTTPServer
import JobServices

#if canImport(Glibc)
    import Glibc
#endif

// cncf-audit: serves the audit trail; `cncf-audit verify [--db PATH]` checks an archive and exits instead.

if CommandLine.arguments.count > 1 && CommandLine.arguments[1] == "verify" {
    exit(verifyArchive(Array(CommandLine.arguments.dropFirst(2))))
}

let configuration: ServiceConfiguration
do {
    configuration = try ServiceConfiguration.fromEnvironment()
} catch {
    Logger(service: "audit").error("invalid configuration", ["op": "start", "error": "\(error)"])
    exit(2)
}

let logger = Logger(service: "audit", level: configuration.logLevel)
let archivePath = AuditArchive.configuredPath(environment: ServiceConfiguration.currentEnvironment())
let archive: AuditArchive
let queryArchive: AuditArchive
do {
    archive = try AuditArchive(path: archivePath)
    queryArchive = try AuditArchive(path: archivePath, mode: .readOnly)
} catch {
    logger.error("cannot open the audit archive (set CNCF_AUDIT_DB)", ["op": "start", "error": "\(error)"])
    exit(2)
}

let audit = AuditService(configuration: configuration, archive: archive)
audit.start()
let endpoint: HTTPServer?
do {
    endpoint = try AuditEndpoint.serve(
        configuration: configuration, metrics: audit.metrics, archive: queryArchive, service: audit)
} catch {
    logger.error("cannot serve the audit API", ["op": "start", "error": "\(error)"])
    exit(2)
}

let signalName = waitForTerminationSignal()
logger.info("stopping", ["op": "stop", "signal": signalName])
audit.stop()
endpoint?.stop()
