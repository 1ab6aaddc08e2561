import Foundation
import RedisClient
import TestSupport

/// Runs `body` on a new plain thread (never the cooperative pool) and returns its result, for code that blocks.
func onThread<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Swift.Result { try body() })
        }
        thread.start()
    }
}

/// A blocking connection to the shared test Redis.
func sharedConnection() throws -> RedisConnection {
    try RedisConnection(configuration: sharedRedisConfiguration())
}

/// The entries of an `XRANGE` reply: id and fields, in stream order.
func streamEntries(_ reply: RedisValue) -> [(id: String, fields: [String: String])] {
    (reply.array ?? []).compactMap { item in
        guard let pair = item.array, pair.count == 2, let id = pair[0].string else { return nil }
        return (id, pair[1].fieldDictionary)
    }
}
