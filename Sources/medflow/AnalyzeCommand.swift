public import ArgumentParser
public import MedFlow
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

    func run() throws {
        let options = AnalyzeOptions(pipeline: pipeline.pipelineOptions, outputDirectory: out, writeFlows: flows,
                                     compression: compression, format: format, policyPath: policy)
        let progress = ProgressLine(enabled: !pipeline.quiet)
        let summary = try runReportingErrors { () throws(AnalysisError) in
            try Analyzer.analyze(options, progress: progress.update)
        }
        progress.clear()
        print(SummaryText.render(summary))
    }
}

extension OutputCompression: ExpressibleByArgument {}
extension OutputFormat: ExpressibleByArgument {}
