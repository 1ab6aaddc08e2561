import Foundation
import TestSupport
import Testing

extension EndToEnd {
    @Suite("Worker start")
    struct WorkerHealthTests {
        @Test("a freshly started worker with the default concurrency reports healthy within three seconds")
        func freshWorkerIsHealthySoon() async throws {
            let redisURL = try sharedRedisURL()
            let namespace = TestEnvironment.uniqueNamespace()
            let logs = FileManager.default.temporaryDirectory.appendingPathComponent("cncf-test-logs-\(namespace)")
            defer {
                deleteNamespace(namespace, configuration: (try? sharedRedisConfiguration()) ?? .init())
                try? FileManager.default.removeItem(at: logs)
            }

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
    }
}
