/// Exit codes: 0 done (the job succeeded, or the command did what it was asked), 1 the job failed or was
/// cancelled (also a failed `sync` command), 2 usage error (also an unknown job or a request the gateway found
/// invalid), 3 gateway or Redis unreachable or refused the request, 4 a wait timed out.
enum ExitCode: Int32 {
    case success = 0
    case jobUnsuccessful = 1
    case usage = 2
    case unavailable = 3
    case timedOut = 4
}

/// A failure to report on standard error before exiting with `code`.
struct CommandLineError: Error {
    let message: String
    let code: ExitCode
}

let usage = """
    usage: jobctl [--url URL] [--json] COMMAND ...

    commands:
      submit OPERATION [--input JSON] [--job-id ID] [--principal P] [--mode M] [--max-attempts N]
             [--run-at T] [--idempotency-key K] [--timeout-ms N] [--wait]
      status ID
      wait ID [--timeout-ms N] [--until terminal|settled]
      result ID
      list [--status S] [--operation O] [--limit N] [--cursor C]
      cancel ID [--reason R]
      retry ID
      tasks ID
      tree ID [--format text|chrome] [--output FILE]
      dead list [--limit N] [--cursor C]
      dead requeue ENTRY_ID
      operations
      health
      audit tail [--from-start]     (reads Redis: REDIS_URL, CNCF_NAMESPACE)
      audit verify                  (reads Redis: checks the audit hash chain; exit 1 when it is broken)
      top [--once]                  (reads Redis: REDIS_URL, CNCF_NAMESPACE)

    submit:
      --mode        jobAsync (default: answer at once), jobSync (wait until the job and its continuations
                    are finished), jobSyncWithAsyncCont (wait for the primary work only), sync (no job;
                    print the result)
      --timeout-ms  how long the waiting modes wait (0 to 60000, default 10000); with jobAsync and --wait,
                    how long --wait waits (default 30000)
      --run-at      do not start before: milliseconds since the epoch, an RFC 3339 UTC time, or +N followed
                    by s, m or h (from now); ignored by sync, and the waiting modes' --timeout-ms includes
                    the delay
      --wait        jobAsync only: wait for the job to finish after submitting it

    tree --format chrome writes Chrome trace-event JSON (chrome://tracing, Perfetto) to stdout or --output.
    top shows stream backlogs, jobs finished per second and the workers, every second until Ctrl-C; --once
    measures for one second and prints once.

    --json prints JSON instead of text: the job for submit, status and wait, the gateway's whole answer for
    the other commands, one object per line for audit tail and top.
    The gateway address comes from --url or CNCF_URL (default http://127.0.0.1:8080).

    exit codes: 0 done, 1 job failed or cancelled, 2 usage error or unknown job, 3 gateway or Redis
    unreachable or refused the request, 4 a wait timed out.
    """

/// Parsed command-line options: flags with values, boolean flags and positional words.
struct Arguments {
    var positional: [String] = []
    var options: [String: String] = [:]
    var flags: Set<String> = []

    static let booleanFlags: Set<String> = ["--json", "--wait", "--from-start", "--once", "--help", "-h"]
    /// Options every command accepts.
    static let globalOptions: Set<String> = ["--url", "--json", "--help", "-h"]

    init(_ words: [String]) throws {
        var index = 0
        while index < words.count {
            let word = words[index]
            if Self.booleanFlags.contains(word) {
                flags.insert(word)
            } else if word.hasPrefix("--") {
                if let equals = word.firstIndex(of: "=") {
                    options[String(word[..<equals])] = String(word[word.index(after: equals)...])
                } else {
                    guard index + 1 < words.count else {
                        throw CommandLineError(message: "\(word) needs a value", code: .usage)
                    }
                    options[word] = words[index + 1]
                    index += 1
                }
            } else {
                positional.append(word)
            }
            index += 1
        }
    }

    /// Refuses options the command does not know, so that a misspelt option is not silently ignored.
    func allow(_ known: Set<String>, for command: String) throws {
        let given = Set(options.keys).union(flags)
        if let unknown = given.subtracting(known).subtracting(Self.globalOptions).sorted().first {
            throw CommandLineError(message: "\(command) does not take \(unknown); see jobctl --help", code: .usage)
        }
    }

    /// The value of a whole-number option, or `nil` when it is absent.
    func integer(_ option: String) throws -> Int? {
        guard let text = options[option] else { return nil }
        guard let value = Int(text) else {
            throw CommandLineError(message: "\(option) must be a whole number, not '\(text)'", code: .usage)
        }
        return value
    }
}
