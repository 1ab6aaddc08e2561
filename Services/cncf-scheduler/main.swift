import HTTPServer
import JobServices

#if canImport(Glibc)
    import Glibc
#endif

let configuration: ServiceConfiguration
do {
    configuration = try ServiceConfiguration.fromEnvironment()
} catch {
    Logger(service: "scheduler").error("invalid configuration", ["op": "start", "error": "\(error)"])
    exit(2)
}

let scheduler = Scheduler(configuration: configuration)
scheduler.start()
let endpoint = try OperationsEndpoint.serve(
    configuration: configuration, metrics: scheduler.metrics, service: "scheduler"
) {
    scheduler.isHealthy
}

let signalName = waitForTerminationSignal()
Logger(service: "scheduler", level: configuration.logLevel).info("stopping", ["op": "stop", "signal": signalName])
scheduler.stop()
endpoint?.stop()
