import Foundation

// jobctl: command-line client of the gateway, and of Redis for `audit tail` and `top`. Exit codes are listed on
// `ExitCode` (Arguments.swift) and in the usage text.

/// Parses the command line and runs the command it names.
func run(_ words: [String]) async throws -> ExitCode {
    let arguments = try Arguments(words)
    let help = arguments.flags.contains("--help") || arguments.flags.contains("-h")
    if help || arguments.positional.isEmpty {
        print(usage)
        return help ? .success : .usage
    }
    return try await Session(arguments: arguments).run()
}

do {
    let code = try await run(Array(CommandLine.arguments.dropFirst()))
    exit(code.rawValue)
} catch let error as CommandLineError {
    FileHandle.standardError.write(Data("jobctl: \(error.message)\n".utf8))
    exit(error.code.rawValue)
} catch {
    FileHandle.standardError.write(Data("jobctl: \(error)\n".utf8))
    exit(ExitCode.unavailable.rawValue)
}
