import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Blocks the calling thread (the main thread of a service) until SIGTERM or SIGINT arrives, and returns the
/// signal's name.
public func waitForTerminationSignal() -> String {
    let received = DispatchSemaphore(value: 0)
    let name = SignalName()
    var sources: [any DispatchSourceSignal] = []
    for (number, label) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            name.set(label)
            received.signal()
        }
        source.resume()
        sources.append(source)
    }
    received.wait()
    sources.forEach { $0.cancel() }
    return name.get()
}

private final class SignalName: @unchecked Sendable {
    // Unchecked: written once by the signal handler before the semaphore is signalled, read after the wait.
    private var value = "signal"
    func set(_ name: String) { value = name }
    func get() -> String { value }
}
