import ArgumentParser
import MedFlow

/// `medflow flows`: every flow into one file.
struct FlowsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flows",
        abstract: "Write every flow of the captures to one file.",
        discussion: "The file name picks the encoding: .csv for CSV, else NDJSON; .zst or .lz4 to compress."
    )

    @OptionGroup var pipeline: PipelineArguments

    @Option(name: .shortAndLong, help: "The output file, e.g. flows.ndjson.zst or flows.csv.")
    var output: String

    func run() throws {
        AllocatorTuning.keepFreedMemory()
        let progress = ProgressLine(enabled: !pipeline.quiet)
        let summary = try runReportingErrors { () throws(AnalysisError) in
            try Analyzer.exportFlows(pipeline.pipelineOptions, to: output, progress: progress.update)
        }
        progress.clear()
        printError(SummaryText.render(summary))
    }
}
