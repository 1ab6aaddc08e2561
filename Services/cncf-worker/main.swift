import DemoComponent
import HTTPServer
import JobServices
import OrdersComponent

#if canImport(Glibc)
    import Glibc
#endif

let configuration: ServiceConfiguration
do {
    configuration = try ServiceConfiguration.fromEnvironment()
} catch {
    Logger(service: "worker").error("invalid configuration", ["op": "start", "error": "\(error)"])
    exit(2)
}

var registry = OperationRegistry()
DemoComponent.register(into: &registry)
OrdersComponent.register(into: &registry)

let worker = Worker(configuration: configuration, registry: registry)
do {
    try await worker.start()
} catch {
    Logger(service: "worker").error("cannot start", ["op": "start", "error": "\(error)"])
    exit(1)
}
let endpoint = try OperationsEndpoint.serve(configuration: configuration, metrics: worker.metrics, service: "worker") {
    worker.isHealthy
}

let signalName = await Task.detached { waitForTerminationSignal() }.value
Logger(service: "worker", level: configuration.logLevel).info("stopping", ["op": "stop", "signal": signalName])
await Task.detached { worker.stop() }.value
endpoint?.stop()
