import DemoComponent
import Foundation
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

/// The components this executable can host, by the name `WORKER_COMPONENTS` lists them with.
let components: [String: (inout OperationRegistry) -> Void] = [
    "demo": DemoComponent.register(into:),
    "orders": OrdersComponent.register(into:),
]
let hosted = (ServiceConfiguration.currentEnvironment()["WORKER_COMPONENTS"] ?? "demo,orders")
    .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
let unknown = hosted.filter { components[$0] == nil }
guard !hosted.isEmpty, unknown.isEmpty else {
    let known = components.keys.sorted().joined(separator: ",")
    let problem = "WORKER_COMPONENTS must list components among \(known); unknown: \(unknown.joined(separator: ","))"
    Logger(service: "worker").error("invalid configuration", ["op": "start", "error": problem])
    exit(2)
}

var registry = OperationRegistry()
for name in Set(hosted).sorted() { components[name]!(&registry) }

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
