import ArgumentParser
import Foundation
import MedFlow

/// `medflow bench`: the self-contained throughput test (``ThroughputBench``).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput on a synthetic capture: no peer tools or data needed.",
        discussion: """
            Writes a `synth --scenario bulk` capture and its policy to a scratch directory, times a bare read of \
            it, then runs `medflow analyze` on it (all detectors, zstd output) as a child process --runs times \
            for each worker count, and prints median seconds, packets/s, Gbit/s, peak RSS and the scaling \
            from 1 worker to the most. Figures to compare with peers: scripts/compare-peers.
            """
    )

    @Option(help: "Packets in the synthetic capture.")
    var packets: Int = 5_000_000

    @Option(help: "Bytes kept per frame.")
    var snaplen: Int = 128

    @Option(help: "Runs per worker count (the median is reported).")
    var runs: Int = 3

    @Option(help: "Worker counts to measure, comma-separated (default: 1 and the number of cores).")
    var workers: String?

    @Option(help: "Synthesis seed.")
    var seed: UInt64 = 1

    @Option(help: "Scratch directory (kept); default: a fresh temporary one, deleted afterwards.")
    var directory: String?

    @Flag(help: "Keep the capture and the result directories.")
    var keep = false

    func run() throws {
        var options = ThroughputBench.Options(executable: Self.executablePath())
        options.packets = packets
        options.snaplen = snaplen
        options.runs = runs
        options.seed = seed
        options.directory = directory
        options.keep = keep
        if let workers {
            let counts = workers.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw ValidationError("--workers must be positive counts separated by commas, e.g. 1,2")
            }
            options.workers = counts.compactMap { $0 }
        }
        do {
            let report = try ThroughputBench.run(options) { printError($0) }
            for line in report.lines { print(line) }
        } catch let failure as ThroughputBench.Failure {
            printError("medflow: \(failure.description)")
            throw ExitCode(74)
        }
    }

    /// This executable, to start the analysis runs with.
    static func executablePath() -> String {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }
}
