import AuditArchive
import Foundation
import JobModel
import TestSupport
import Testing

extension EndToEnd {
    /// The gateway with `CNCF_AUTH=tokens`: every `/v1` call carries a bearer token whose hash is in the tokens file.
    @Suite("Authentication: tokens, roles and ownership")
    struct AuthenticationTests {
        /// One caller of the tokens file: its secret token and what the file grants it.
        struct Caller {
            let principal: String
            let roles: [String]
            let token = "tok-" + UUID().uuidString.lowercased() + UUID().uuidString.lowercased()
        }

        let alice = Caller(principal: "alice", roles: ["submitter"])
        let bob = Caller(principal: "bob", roles: ["submitter"])
        let oncall = Caller(principal: "oncall", roles: ["operator"])
        let inspector = Caller(principal: "inspector", roles: ["auditor"])
        let root = Caller(principal: "root", roles: ["admin"])

        var callers: [Caller] { [alice, bob, oncall, inspector, root] }

        /// Writes the tokens file (hashes only), starts a stack that uses it and runs `body`.
        func withAuthenticatedStack(_ body: (StackUnderTest) async throws -> Void) async throws {
            let entries: [JSONValue] = callers.map { caller in
                [
                    "principal": .string(caller.principal),
                    "roles": .array(caller.roles.map { .string($0) }),
                    "tokenSha256": .string(SHA256.hex(caller.token)),
                ]
            }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("cncf-tokens-\(UUID()).json")
            try Data(JSONValue.array(entries).encoded.utf8).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            try await withStack(workers: 1, environment: ["CNCF_AUTH": "tokens", "CNCF_TOKENS_FILE": file.path]) {
                try await body($0)
            }
        }

        func client(_ stack: StackUnderTest, _ caller: Caller) -> HTTPTestClient {
            HTTPTestClient(baseURL: stack.gatewayURL, bearerToken: caller.token)
        }

        /// Submits a `demo.echo` due in an hour, so that it stays cancellable for the whole test.
        func submitDelayed(_ client: HTTPTestClient) async throws -> String {
            let runAt = Int(Date().timeIntervalSince1970 * 1000) + 3_600_000
            let reply = try await client.post(
                "/v1/commands", json: ["operation": "demo.echo", "input": ["x": 1], "runAt": .int(runAt)])
            try #require(reply.status == 202, "\(reply.status) \(reply.text)")
            return try #require(reply.job?.text("id"))
        }

        @Test("a /v1 call without a valid bearer token is 401 with WWW-Authenticate; health and metrics stay open")
        func missingOrWrongTokens() async throws {
            try await withAuthenticatedStack { stack in
                let submit = try await stack.gateway.post("/v1/commands", json: ["operation": "demo.echo"])
                #expect(submit.status == 401)
                #expect(submit.errorCode == "unauthorized")
                #expect(submit.header("WWW-Authenticate") == "Bearer")

                let wrong = HTTPTestClient(baseURL: stack.gatewayURL, bearerToken: alice.token + "x")
                #expect(try await wrong.get("/v1/jobs").status == 401)
                let variants = [
                    "Basic \(alice.token)", "Bearer", "Bearer ", alice.token, "Bearer \(alice.token.uppercased())",
                ]
                for header in variants {
                    let reply = try await stack.gateway.send(
                        "GET", "/v1/operations", body: nil, contentType: nil, headers: ["Authorization": header])
                    #expect(reply.status == 401, "Authorization: \(header) answered \(reply.status)")
                }
                #expect(try await client(stack, alice).get("/v1/operations").status == 200)

                #expect(try await stack.gateway.get("/healthz").status == 200)
                #expect(try await stack.gateway.get("/metrics").status == 200)
                #expect(try await stack.gateway.get("/openapi.json").status == 200)
            }
        }

        @Test("a submitter sees and controls only its own jobs; another submitter gets 404 for them")
        func ownership() async throws {
            try await withAuthenticatedStack { stack in
                let alice = client(stack, self.alice)
                let bob = client(stack, self.bob)

                let done = try await alice.post("/v1/commands", json: ["operation": "demo.echo", "input": ["n": 7]])
                #expect(done.status == 202)
                let doneID = try #require(done.job?.text("id"))
                #expect(done.job?.text("principal") == "alice")
                let finished = try await alice.get("/v1/jobs/\(doneID)/wait?timeoutMs=10000")
                #expect(finished.job?.text("status") == "succeeded")
                let pending = try await submitDelayed(alice)

                for path in ["", "/result", "/wait?timeoutMs=10", "/tasks", "/calltree", "/audit"] {
                    let reply = try await bob.get("/v1/jobs/\(doneID)\(path)")
                    #expect(reply.status == 404, "bob GET \(path): \(reply.status) \(reply.text)")
                    #expect(reply.errorCode == "job_not_found")
                    #expect(try await alice.get("/v1/jobs/\(doneID)\(path)").status == 200, "alice GET \(path)")
                }
                let missing = try await bob.get("/v1/jobs/01J00000000000000000000000")
                #expect(missing.status == 404 && missing.errorCode == "job_not_found")

                let bobCancel = try await bob.post("/v1/jobs/\(pending)/cancel", json: [:])
                #expect(bobCancel.status == 404)
                #expect(try await bob.post("/v1/jobs/\(doneID)/retry", json: [:]).status == 404)
                let aliceCancel = try await alice.post(
                    "/v1/jobs/\(pending)/cancel", json: ["reason": "changed my mind"])
                #expect(aliceCancel.status == 200, "\(aliceCancel.text)")

                let bobsOwn = try await bob.post("/v1/commands", json: ["operation": "demo.echo"])
                let bobsID = try #require(bobsOwn.job?.text("id"))
                let bobList = try await bob.get("/v1/jobs?limit=100")
                let bobIDs = Set(bobList.json?["jobs"]?.arrayValue?.compactMap { $0.text("id") } ?? [])
                #expect(bobIDs == [bobsID], "bob lists only his job: \(bobList.text)")
                let aliceList = try await alice.get("/v1/jobs?limit=100")
                let aliceIDs = Set(aliceList.json?["jobs"]?.arrayValue?.compactMap { $0.text("id") } ?? [])
                #expect(aliceIDs == [doneID, pending])

                let impersonation = try await alice.post(
                    "/v1/commands", json: ["operation": "demo.echo", "principal": "bob"])
                #expect(impersonation.status == 403)
                #expect(impersonation.errorCode == "forbidden")
            }
        }

        @Test("another submitter's Idempotency-Key or jobId never hands over that submitter's job")
        func idempotencyIsPerPrincipal() async throws {
            try await withAuthenticatedStack { stack in
                let alice = client(stack, self.alice)
                let bob = client(stack, self.bob)
                let key = "order-\(UUID().uuidString.prefix(8))"
                let body: JSONValue = ["operation": "demo.echo", "input": ["secret": "alice's"], "mode": "jobSync"]

                let first = try await alice.send(
                    "POST", "/v1/commands", body: Data(body.encoded.utf8), contentType: "application/json",
                    headers: ["Idempotency-Key": key])
                #expect(first.status == 200, "\(first.text)")
                let aliceJob = try #require(first.job?.text("id"))

                let repeated = try await bob.send(
                    "POST", "/v1/commands", body: Data(body.encoded.utf8), contentType: "application/json",
                    headers: ["Idempotency-Key": key])
                #expect(repeated.status == 200, "\(repeated.text)")
                #expect(repeated.job?.text("id") != aliceJob, "bob's repeat of alice's key makes a job of his own")
                #expect(repeated.job?.text("principal") == "bob")

                let sameId = try await bob.post(
                    "/v1/commands",
                    json: ["operation": "demo.echo", "input": ["secret": "alice's"], "jobId": .string(aliceJob)])
                #expect(sameId.status == 409)
                #expect(sameId.errorCode == "job_exists")
                #expect(!sameId.text.contains("secret"), "the refusal says nothing about alice's job: \(sameId.text)")
            }
        }

        @Test("operator, auditor and admin get exactly what their roles allow")
        func roles() async throws {
            try await withAuthenticatedStack { stack in
                let alice = client(stack, self.alice)
                let oncall = client(stack, self.oncall)
                let inspector = client(stack, self.inspector)
                let root = client(stack, self.root)
                let jobID = try await submitDelayed(alice)

                // The operator reads and controls every job and handles dead letters, but sees no audit trail.
                #expect(try await oncall.get("/v1/jobs/\(jobID)").status == 200)
                #expect(try await oncall.get("/v1/dead-letters").status == 200)
                #expect(try await oncall.get("/v1/audit").status == 403)
                let operatorJob = try await oncall.post("/v1/commands", json: ["operation": "demo.echo"])
                #expect(operatorJob.status == 202)
                #expect(operatorJob.job?.text("principal") == "oncall")

                // The auditor reads every job and the audit trail, and changes nothing.
                #expect(try await inspector.get("/v1/jobs/\(jobID)").status == 200)
                let trail = try await inspector.get("/v1/jobs/\(jobID)/audit")
                #expect(trail.status == 200, "\(trail.text)")
                #expect(try await inspector.get("/v1/audit?limit=5").status == 200)
                let listed = try await inspector.get("/v1/jobs?limit=100")
                let listedIDs = listed.json?["jobs"]?.arrayValue?.compactMap { $0.text("id") } ?? []
                #expect(listedIDs.contains(jobID))
                for refused in [
                    try await inspector.post("/v1/commands", json: ["operation": "demo.echo"]),
                    try await inspector.post("/v1/jobs/\(jobID)/cancel", json: [:]),
                    try await inspector.post("/v1/jobs/\(jobID)/retry", json: [:]),
                    try await inspector.get("/v1/dead-letters"),
                ] {
                    #expect(refused.status == 403, "\(refused.text)")
                    #expect(refused.errorCode == "forbidden")
                }

                // A submitter may not use the operator's or the auditor's routes.
                #expect(try await alice.get("/v1/dead-letters").status == 403)
                #expect(try await alice.get("/v1/audit").status == 403)
                #expect(try await alice.post("/v1/dead-letters/1-0/requeue", json: [:]).status == 403)

                // The admin may submit for someone else; that job then belongs to them.
                let forBob = try await root.post("/v1/commands", json: ["operation": "demo.echo", "principal": "bob"])
                #expect(forBob.status == 202)
                #expect(forBob.job?.text("principal") == "bob")
                let bobsJob = try #require(forBob.job?.text("id"))
                #expect(try await client(stack, self.bob).get("/v1/jobs/\(bobsJob)").status == 200)

                let cancelled = try await oncall.post("/v1/jobs/\(jobID)/cancel", json: [:])
                #expect(cancelled.status == 200, "\(cancelled.text)")
                #expect(try await alice.get("/v1/jobs/\(jobID)").job?.text("status") == "cancelled")
            }
        }

        @Test("no token appears in any service's log, also after refused ones")
        func tokensStayOutOfLogs() async throws {
            try await withAuthenticatedStack { stack in
                for caller in callers {
                    _ = try await client(stack, caller).get("/v1/jobs")
                    let near = HTTPTestClient(baseURL: stack.gatewayURL, bearerToken: String(caller.token.dropLast()))
                    _ = try await near.get("/v1/jobs")
                }
                let job = try await client(stack, alice).post("/v1/commands", json: ["operation": "demo.echo"])
                let id = try #require(job.job?.text("id"))
                _ = try await client(stack, alice).get("/v1/jobs/\(id)/wait?timeoutMs=10000")
                let logs = stack.processes.map { $0.logText() }.joined(separator: "\n")
                #expect(!logs.isEmpty)
                for caller in callers {
                    #expect(!logs.contains(caller.token.dropLast(8)), "a token of \(caller.principal) is in a log")
                }
            }
        }

        @Test("a gateway without a tokens file and without CNCF_AUTH=off refuses to start and says why")
        func refusesToStartWithoutTokens() async throws {
            let logDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("cncf-auth-\(UUID())")
            defer { try? FileManager.default.removeItem(at: logDirectory) }
            let gateway = try ServiceProcess.service(
                "cncf-gateway",
                environment: [
                    "REDIS_URL": try sharedRedisURL(), "CNCF_NAMESPACE": TestEnvironment.uniqueNamespace(),
                    "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": String(try freePort()),
                ],
                logDirectory: logDirectory)
            defer { gateway.terminate(grace: .seconds(2)) }
            let status = try await eventually("the gateway to exit", timeout: .seconds(20)) {
                gateway.terminationStatus
            }
            #expect(status != 0)
            #expect(gateway.logText().contains("CNCF_TOKENS_FILE"), "\(gateway.logText())")
        }
    }
}
