import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where the tests find the package, the service executables and Redis, and how they name their keys.
public enum TestEnvironment {
    /// The package root: three levels above this file (`<root>/Tests/TestSupport/Environment.swift`).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folder of the built service executables: `CNCF_BIN_DIR`, or the package's debug build folder.
    public static var binDirectory: URL {
        if let given = ProcessInfo.processInfo.environment["CNCF_BIN_DIR"], !given.isEmpty {
            return URL(fileURLWithPath: given)
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }

    /// A fresh namespace for one test, e.g. `t-3f9a0c12d4`, so tests never see each other's keys.
    public static func uniqueNamespace(_ prefix: String = "t") -> String {
        let suffix = (0..<10).map { _ in String("0123456789abcdefghijklmnopqrstuvwxyz".randomElement()!) }.joined()
        return "\(prefix)-\(suffix)"
    }

    /// The full path of `name` found on `PATH` (or in the usual system folders), or `nil`.
    public static func executableOnPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/usr/sbin"]
        for folder in folders {
            let candidate = "\(folder)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

/// A failure of the test harness itself (a process that did not start, a wait that timed out).
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

private let handedOutPorts = Mutex<Set<Int>>([])

/// A TCP port on 127.0.0.1 that nothing listens on right now and that this process has not handed out before.
///
/// Ports are picked at random below the kernel's ephemeral range (which starts at 32768 by default), so that a
/// port handed to a service cannot meanwhile become the local port of some outgoing connection.
public func freePort() throws -> Int {
    for _ in 0..<200 {
        let port = Int.random(in: 20_000..<32_000)
        guard handedOutPorts.withLock({ !$0.contains(port) }), canBind(port) else { continue }
        if handedOutPorts.withLock({ $0.insert(port).inserted }) { return port }
    }
    throw TestSupportError("no free TCP port found")
}

/// Whether a listening socket could be bound to 127.0.0.1:`port` right now.
private func canBind(_ port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    return bound == 0 && listen(descriptor, 1) == 0
}

/// Polls `probe` every `interval` until it returns a value, and throws once `timeout` has passed without one.
public func eventually<Value>(
    _ what: String, timeout: Duration = .seconds(20), interval: Duration = .milliseconds(50),
    _ probe: () async throws -> Value?
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await probe() { return value }
        guard ContinuousClock.now < deadline else { throw TestSupportError("timed out after \(timeout): \(what)") }
        try await Task.sleep(for: interval)
    }
}

/// The blocking form of `eventually`, for plain threads and synchronous setup code.
public func eventuallyBlocking<Value>(
    _ what: String, timeout: Duration = .seconds(20), interval: Duration = .milliseconds(50),
    _ probe: () throws -> Value?
) throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try probe() { return value }
        guard ContinuousClock.now < deadline else { throw TestSupportError("timed out after \(timeout): \(what)") }
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        Thread.sleep(forTimeInterval: seconds)
    }
}
