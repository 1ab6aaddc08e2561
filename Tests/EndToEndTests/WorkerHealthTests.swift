import Foundation
import RedisClient
import TestSupport
import Testing

extension EndToEnd {
    @Suite("Worker start")
    struct WorkerHealthTests {
        /// A namespace of the shared Redis and a log folder for workers started by hand, removed afterwards.
        struct Scratch {
            let redisURL: String
            let namespace = TestEnvironment.uniqueNamespace()
            let logs: URL

            init() throws {
                redisURL = try sharedRedisURL()
                logs = FileManager.default.temporaryDirectory.appendingPathComponent("cncf-test-logs-\(namespace)")
            }

            func remove() {
                deleteNamespace(namespace, configuration: (try? sharedRedisConfiguration()) ?? .init())
                try? FileManager.default.removeItem(at: logs)
            }
        }

        @Test("a freshly started worker with the default concurrency reports healthy within three seconds")
        func freshWorkerIsHealthySoon() async throws {
            let scratch = try Scratch()
            defer { scratch.remove() }
            let (redisURL, namespace, logs) = (scratch.redisURL, scratch.namespace, scratch.logs)

            // Each start races the worker's stream readers for its execution slots, so several starts are tried.
            let starts = 15
            var slowStarts: [String] = []
            for round in 1...starts {
                let port = try freePort()
                let worker = try ServiceProcess.service(
                    "cncf-worker",
                    environment: [
                        "REDIS_URL": redisURL, "CNCF_NAMESPACE": namespace, "WORKER_ID": "\(namespace)-\(round)",
                        "METRICS_PORT": String(port),
                    ],
                    logDirectory: logs, label: "cncf-worker-\(round)")
                defer { worker.terminate(grace: .milliseconds(100)) }

                do {
                    try await worker.waitForHTTP(url: "http://127.0.0.1:\(port)/healthz", timeout: .seconds(3))
                } catch {
                    slowStarts.append(String("start \(round): \(error)".prefix(300)))
                }
            }

            let report = "\(slowStarts.count) of \(starts) starts were not healthy in 3 s:\n\(slowStarts)"
            #expect(slowStarts.isEmpty, "\(report)")
        }

        @Test("WORKER_COMPONENTS chooses what a worker hosts; an unknown component stops it at start with exit 2")
        func componentsAreChosen() async throws {
            let scratch = try Scratch()
            defer { scratch.remove() }
            let (redisURL, namespace, logs) = (scratch.redisURL, scratch.namespace, scratch.logs)
            let environment = ["REDIS_URL": redisURL, "CNCF_NAMESPACE": namespace]

            let refused = try ServiceProcess.service(
                "cncf-worker", environment: environment.merging(["WORKER_COMPONENTS": "demo,billing"]) { $1 },
                logDirectory: logs, label: "cncf-worker-refused")
            defer { refused.terminate(grace: .milliseconds(100)) }
            let deadline = ContinuousClock.now + .seconds(10)
            while refused.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(!refused.isRunning, "a worker asked to host an unknown component keeps running")
            #expect(refused.terminationStatus.map { ($0 >> 8) & 0xff } == 2)
            #expect(refused.logText().contains("unknown: billing"), "\(refused.logTail())")

            let port = try freePort()
            let demoOnly = try ServiceProcess.service(
                "cncf-worker",
                environment: environment.merging(["WORKER_COMPONENTS": "demo", "METRICS_PORT": String(port)]) { $1 },
                logDirectory: logs, label: "cncf-worker-demo")
            defer { demoOnly.terminate(grace: .milliseconds(100)) }
            try await demoOnly.waitForHTTP(url: "http://127.0.0.1:\(port)/healthz", timeout: .seconds(10))
            let connection = try RedisConnection(configuration: try sharedRedisConfiguration())
            let operations = try connection.command(["HKEYS", "\(namespace):operations"]).array?.compactMap(\.string)
            #expect(operations?.contains("demo.echo") == true, "\(operations ?? [])")
            #expect(operations?.contains(where: { $0.hasPrefix("order.") }) == false, "\(operations ?? [])")
            let subscriptions = try connection.command(["HLEN", "\(namespace):subscriptions"]).int
            #expect(subscriptions == 0, "a demo-only worker registered async subscriptions")
        }
    }
}
