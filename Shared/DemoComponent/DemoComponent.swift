import JobModel
import JobServices

/// The demo component: small operations for trying the system out and for tests.
public enum DemoComponent {
    /// Adds every demo operation to `registry`.
    public static func register(into registry: inout OperationRegistry) {
        registry.register(EchoOperation())
        registry.register(SleepOperation())
        registry.register(FailOperation())
    }
}
