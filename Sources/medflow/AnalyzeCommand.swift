public import ArgumentParser
import MedFlow
public import Output

/// `medflow analyze`: flows, detectors and `summary.json` into a directory.
struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse captures and write result files and summary.json to a directory."
    )

    @OptionGroup var pipeline: PipelineArguments

    @Option(name: .long, help: "Directory for the result files.")
    var out: String = "medflow-out"

    @Flag(help: "Also write every flow (flows.ndjson.zst or as --format/--compression say).")
    var flows = false

    @Option(help: "Compression of result files: zstd, lz4 or none.")
    var compression: OutputCompression = .zstd

    @Option(help: "Encoding of result files: ndjson or csv.")
    var format: OutputFormat = .ndjson

    @Option(help: "Egress policy (YAML): zones, allow rules, MUD files, thresholds. Egress runs only with one.")
    var policy: String?

    @Option(help: "Beacons need at least this many connection starts (after retries are collapsed).")
    var beaconMinConnections = 6

    @Option(help: "Beacon scoring: periodicity (medflow's test) or rita (RITA v5's score alone, for comparison).")
    var beaconScoring: BeaconScoring = .periodicity

    @Option(help: "With --beacon-scoring rita: report pairs whose RITA score reaches this.")
    var ritaThreshold = 0.7

    @Flag(help: "Skip beacon detection (no beacons.* file).")
    var noBeacons = false

    @Flag(help: "Skip intra-flow beacons (periodic packet bursts inside long flows).")
    var noIntraFlowBeacons = false

    func validate() throws {
        guard (0...1).contains(ritaThreshold) else { throw ValidationError("--rita-threshold must be between 0 and 1") }
        guard beaconMinConnections >= 5 else {
            throw ValidationError("--beacon-min-connections must be at least 5 (the periodicity test needs 4 intervals)")
        }
    }

    func run() throws {
        AllocatorTuning.keepFreedMemory()
        var options = AnalyzeOptions(pipeline: pipeline.pipelineOptions, outputDirectory: out, writeFlows: flows,
                                     compression: compression, format: format, policyPath: policy)
        options.intraFlowBeacons = !noIntraFlowBeacons
        options.setBeacons(enabled: !noBeacons, minimumConnections: beaconMinConnections,
                           ritaOnlyThreshold: beaconScoring == .rita ? ritaThreshold : nil)
        let progress = ProgressLine(enabled: !pipeline.quiet)
        let summary = try runReportingErrors { () throws(AnalysisError) in
            try Analyzer.analyze(options, progress: progress.update)
        }
        progress.clear()
        print(SummaryText.render(summary))
        if summary.hasWarnings {
            for warning in summary.warnings.prefix(20) { printError("medflow: warning: \(warning)") }
            if summary.warnings.count > 20 { printError("medflow: … \(summary.warnings.count - 20) more in summary.json") }
            throw ExitCode(1)
        }
    }
}

extension OutputCompression: ExpressibleByArgument {}
extension OutputFormat: ExpressibleByArgument {}

/// How `medflow analyze` scores beacon candidates.
enum BeaconScoring: String, ExpressibleByArgument {
    /// medflow's periodicity test (with RITA's score as a component).
    case periodicity
    /// RITA v5's score alone, thresholded: for measuring what medflow adds over RITA.
    case rita
}
