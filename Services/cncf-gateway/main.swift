import HTTPServer
import JobServices

#if canImport(Glibc)
    import Glibc
#endif

let configuration: ServiceConfiguration
do {
    configuration = try ServiceConfiguration.fromEnvironment()
} catch {
    Logger(service: "gateway").error("invalid configuration", ["op": "start", "error": "\(error)"])
    exit(2)
}

let gateway = Gateway(configuration: configuration)
gateway.start()
let server = HTTPServer(
    configuration: .init(host: configuration.gatewayHost, port: configuration.gatewayPort, threads: 4),
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
