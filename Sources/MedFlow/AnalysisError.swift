public import Detect
public import Ingest
public import Output

/// Why an analysis stopped: every case prints as one line naming the file and, for input, the offset.
public enum AnalysisError: Error, Sendable, CustomStringConvertible {
    /// An input could not be read or is damaged.
    case input(InputError)
    /// The `--filter` expression does not compile.
    case filter(FilterError)
    /// A result file could not be written.
    case output(OutputError)
    /// The request itself is wrong (no inputs, bad option combination).
    case usage(String)
    /// The policy file (or a MUD file it names) is not usable.
    case policy(PolicyError)

    /// The one-line message.
    public var description: String {
        switch self {
        case .input(let error): error.description
        case .filter(let error): error.description
        case .output(let error): error.description
        case .usage(let message): message
        case .policy(let error): error.description
        }
    }

    /// The process exit status the CLI uses: 64 usage, 65 bad input data, 74 output I/O (sysexits.h).
    public var exitCode: Int32 {
        switch self {
        case .usage, .filter: 64
        case .input, .policy: 65
        case .output: 74
        }
    }
}
