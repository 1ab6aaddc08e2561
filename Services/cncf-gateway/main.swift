import HTTPServer
import JobServices

#if canImport(Glibc)
    import Glibc
#endif

let configuration: ServiceConfiguration
let access: AccessControl
do {
    configuration = try ServiceConfiguration.fromEnvironment()
    access = try AccessControl.fromEnvironment(ServiceConfiguration.currentEnvironment())
} catch {
    Logger(service: "gateway").error("invalid configuration", ["op": "start", "error": "\(error)"])
    exit(2)
}

let auditURL = ServiceConfiguration.currentEnvironment()["AUDIT_URL"].flatMap { $0.isEmpty ? nil : $0 }
let gateway = Gateway(configuration: configuration, access: access, auditURL: auditURL)
gateway.start()
let server = HTTPServer(
    configuration: .init(
        host: configuration.gatewayHost, port: configuration.gatewayPort, threads: 4, connectionLimit: 2048,
        connectionTimeoutSeconds: 30),
    handler: gateway)
do {
    try server.start()
} catch {
    Logger(service: "gateway").error("cannot start the HTTP server", ["op": "start", "error": "\(error)"])
    exit(1)
}

let signalName = waitForTerminationSignal()
Logger(service: "gateway", level: configuration.logLevel).info("stopping", ["op": "stop", "signal": signalName])
gateway.stop()
server.stop()
