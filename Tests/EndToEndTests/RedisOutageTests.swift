import Foundation
import JobModel
import TestSupport
import Testing

extension EndToEnd {
    /// The gateway while its Redis is down, on a Redis of the test's own so that stopping it disturbs no other test.
    @Suite("The gateway while Redis is down")
    struct RedisOutageTests {
        @Test("with Redis stopped, reads and submissions answer 503 redis_unavailable; once it is back they work again")
        func unavailableWhileRedisIsDown() async throws {
            let redis = try TestRedis()
            defer { redis.shutdown() }
            try await withStack(workers: 1, redisURL: redis.url) { stack in
                let id = try await stack.submitExpectingAccepted("demo.echo", input: ["before": true])
                #expect(try await stack.waitForJob(id).text("status") == "succeeded")

                redis.stop()

                let read = try await stack.gateway.get("/v1/jobs/\(id)", timeout: 10)
                expectRedisUnavailable(read, "GET /v1/jobs/\(id)")
                let submit = try await stack.gateway.post(
                    "/v1/commands", json: ["operation": "demo.echo", "input": ["during": true]], timeout: 10)
                expectRedisUnavailable(submit, "POST /v1/commands")
                let health = try await stack.gateway.get("/healthz", timeout: 10)
                #expect(health.status == 503, "\(health.text)")
                #expect(health.json?.text("redis") == "down", "\(health.text)")

                try redis.start()

                let back = try await eventually("the gateway to read the job again", timeout: .seconds(30)) {
                    let reply = try await stack.gateway.get("/v1/jobs/\(id)", timeout: 10)
                    return reply.status == 200 ? reply : nil
                }
                #expect(back.job?.text("status") == "succeeded")
                #expect(back.job?["result"] == ["before": true])
                let after = try await stack.submitExpectingAccepted("demo.echo", input: ["after": true])
                let job = try await stack.waitForJob(after)
                #expect(job.text("status") == "succeeded")
                #expect(job["result"] == ["after": true])
                let submittedDuring = try stack.connection().command(["ZCARD", stack.keyspace.jobIndex])
                #expect(submittedDuring == .integer(2), "the refused submission left no job behind")
            }
        }

        /// Checks that `reply` is the documented 503: a JSON error object with code `redis_unavailable` and a message.
        private func expectRedisUnavailable(_ reply: HTTPReply, _ request: String) {
            #expect(reply.status == 503, "\(request): \(reply.status) \(reply.text)")
            #expect(reply.header("Content-Type")?.hasPrefix("application/json") == true, "\(request): \(reply.headers)")
            #expect(reply.errorCode == "redis_unavailable", "\(request): \(reply.text)")
            let message = reply.json?["error"]?.text("message") ?? ""
            #expect(!message.isEmpty, "\(request): no error message in \(reply.text)")
        }
    }
}
