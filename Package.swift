// swift-tools-version:6.0
import PackageDescription

/// Settings every Swift target shares: language mode 6 with strict concurrency everywhere.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "cncf-job-management",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cncf-gateway", targets: ["cncf-gateway"]),
        .executable(name: "cncf-scheduler", targets: ["cncf-scheduler"]),
        .executable(name: "cncf-worker", targets: ["cncf-worker"]),
        .executable(name: "cncf-audit", targets: ["cncf-audit"]),
        .executable(name: "jobctl", targets: ["jobctl"]),
        .executable(name: "cncf-bench", targets: ["cncf-bench"]),
        .library(name: "JobModel", targets: ["JobModel"]),
    ],
    targets: [
        .systemLibrary(name: "CHiredis", path: "Shared/CHiredis"),
        .systemLibrary(name: "CCrypto", path: "Shared/CCrypto"),
        .systemLibrary(name: "CSQLite", path: "Shared/CSQLite"),
        .target(
            name: "CMicroHTTPD",
            path: "Shared/CMicroHTTPD",
            linkerSettings: [.linkedLibrary("microhttpd")]
        ),
        .target(name: "CCurlClient", path: "Shared/CCurlClient", linkerSettings: [.linkedLibrary("curl")]),
        .target(
            name: "RedisClient", dependencies: ["CHiredis"], path: "Shared/RedisClient", swiftSettings: swiftSettings),
        .target(
            name: "HTTPServer", dependencies: ["CMicroHTTPD"], path: "Shared/HTTPServer", swiftSettings: swiftSettings),
        .target(name: "JobModel", path: "Shared/JobModel", swiftSettings: swiftSettings),
        .target(
            name: "AuditArchive", dependencies: ["CCrypto", "CSQLite", "JobModel"], path: "Shared/AuditArchive",
            swiftSettings: swiftSettings),
        .target(
            name: "JobServices",
            dependencies: ["JobModel", "RedisClient", "HTTPServer", "AuditArchive", "CCurlClient"],
            path: "Shared/JobServices",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OrdersComponent", dependencies: ["JobModel", "JobServices"], path: "Shared/OrdersComponent",
            swiftSettings: swiftSettings),
        .target(
            name: "DemoComponent", dependencies: ["JobModel", "JobServices"], path: "Shared/DemoComponent",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "cncf-gateway", dependencies: ["JobServices"], path: "Services/cncf-gateway",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "cncf-scheduler", dependencies: ["JobServices"], path: "Services/cncf-scheduler",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "cncf-worker",
            dependencies: ["JobServices", "DemoComponent", "OrdersComponent"],
            path: "Services/cncf-worker",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "cncf-audit", dependencies: ["JobServices", "AuditArchive"], path: "Services/cncf-audit",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "jobctl", dependencies: ["JobModel", "RedisClient", "JobServices", "AuditArchive"],
            path: "Services/jobctl",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "cncf-bench",
            dependencies: ["CCurlClient", "RedisClient", "JobModel"],
            path: "Services/cncf-bench",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: ["RedisClient", "JobModel"],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JobModelTests", dependencies: ["JobModel"], path: "Tests/JobModelTests", swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RedisClientTests",
            dependencies: ["RedisClient", "TestSupport", "JobServices", "JobModel"],
            path: "Tests/RedisClientTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["TestSupport", "JobModel", "RedisClient", "AuditArchive"],
            path: "Tests/EndToEndTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AuditTests",
            dependencies: ["AuditArchive", "JobServices", "JobModel", "RedisClient"],
            path: "Tests/AuditTests",
            swiftSettings: swiftSettings
        ),
    ]
)
