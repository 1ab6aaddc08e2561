import HTTPServer
import JobServices

#if canImport(Glibc)
    import Glibc
#endif

let configuration: ServiceConfiguration
do {
    configuration = try ServiceConfiguration.fromEnvironment()
} catch {
    Logger(service: "audit").error("invalid configuration", ["op": "start", "error": "\(error)"])
    exit(2)
}

let audit = AuditService(configuration: configuration)
audit.start()
let endpoint = try OperationsEndpoint.serve(configuration: configuration, metrics: audit.metrics, service: "audit") {
    audit.isHealthy
}

let signalName = waitForTerminationSignal()
Logger(service: "audit", level: configuration.logLevel).info("stopping", ["op": "stop", "signal": signalName])
audit.stop()
endpoint?.stop()
