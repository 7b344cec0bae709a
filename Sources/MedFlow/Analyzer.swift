import Foundation
public import Output
public import Detect
import Flows
import Ingest

/// What `medflow analyze` does: read inputs, assemble flows, write result files and `summary.json`.
public struct AnalyzeOptions: Sendable {
    /// Inputs and pipeline settings.
    public var pipeline: PipelineOptions
    /// The directory the result files go to (created if missing).
    public var outputDirectory: String
    /// Whether to write every flow to `flows.ndjson.zst` (or the chosen format and compression).
    public var writeFlows: Bool
    /// Compression of the result files.
    public var compression: OutputCompression
    /// Encoding of the result files.
    public var format: OutputFormat
    /// The egress policy (YAML); egress findings are written only with one. Fan-out always runs.
    public var policyPath: String?
    /// Beacon detection settings; `nil` skips beacon detection (no `beacons.*` file).
    public var beacons: BeaconConfiguration? = BeaconConfiguration()
    /// Whether beacon detection also looks for periodic bursts inside long flows (packet timing).
    public var intraFlowBeacons = true

    /// Creates options.
    public init(pipeline: PipelineOptions, outputDirectory: String, writeFlows: Bool = false,
                compression: OutputCompression = .zstd, format: OutputFormat = .ndjson, policyPath: String? = nil) {
        self.policyPath = policyPath
        self.pipeline = pipeline
        self.outputDirectory = outputDirectory
        self.writeFlows = writeFlows
        self.compression = compression
        self.format = format
    }

    /// Turns beacon detection on (with the default settings and `minimumConnections`) or off.
    ///
    /// - Parameters:
    ///   - enabled: Whether beacon detection runs at all.
    ///   - minimumConnections: Fewer connection starts than this are not tested.
    ///   - ritaOnlyThreshold: RITA-parity-only scoring at this RITA score (no intra-flow findings), for
    ///     comparisons with RITA; `nil` for medflow's periodicity test.
    public mutating func setBeacons(enabled: Bool, minimumConnections: Int, ritaOnlyThreshold: Double? = nil) {
        guard enabled else { beacons = nil; return }
        var configuration = beacons ?? BeaconConfiguration()
        configuration.minimumConnections = minimumConnections
        configuration.ritaOnlyThreshold = ritaOnlyThreshold
        if ritaOnlyThreshold != nil { intraFlowBeacons = false }
        beacons = configuration
    }

    /// The path of a result file named `base` (e.g. `flows`) with this run's extensions.
    public func resultPath(_ base: String) -> String {
        (outputDirectory as NSString).appendingPathComponent(base + format.fileExtension + compression.fileExtension)
    }
}

/// The library's entry points for the CLI's commands.
public enum Analyzer {
    /// Runs `medflow analyze`.
    ///
    /// - Parameters:
    ///   - options: What to read and write.
    ///   - progress: Called after each pipeline step.
    /// - Returns: The summary, also written to `DIR/summary.json`.
    public static func analyze(_ options: AnalyzeOptions, progress: ((ProgressSnapshot) -> Void)? = nil)
        throws(AnalysisError) -> AnalysisSummary {
        let started = Date()
        do {
            try FileManager.default.createDirectory(atPath: options.outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw .output(OutputError(path: options.outputDirectory, detail: "cannot create directory: \(error.localizedDescription)"))
        }
        var sinks: [any FlowSink] = []
        var outputs: [String: String] = [:]
        if options.writeFlows {
            let writer = try FlowFileWriter(path: options.resultPath("flows"), format: options.format,
                                            compression: options.compression)
            sinks.append(writer)
            outputs["flows"] = writer.path
        }
        let detectors = try DetectorSinks(options)
        sinks += detectors.sinks
        outputs.merge(detectors.outputs) { $1 }
        let pipeline = Pipeline(options: options.pipeline, burstSinks: detectors.burstSinks)
        let report = try pipeline.run(sinks: sinks, progress: progress)
        let summaryPath = (options.outputDirectory as NSString).appendingPathComponent("summary.json")
        outputs["summary"] = summaryPath
        var summary = AnalysisSummary(command: "analyze", startedAt: started, report: report,
                                      options: describe(options.pipeline, compression: options.compression,
                                                        format: options.format),
                                      outputs: outputs)
        detectors.record(into: &summary)
        try writeSummary(summary, to: summaryPath)
        return summary
    }

    /// Runs `medflow flows`: every flow to one file, whose name picks the format (`.csv` or NDJSON) and
    /// compression (`.zst`, `.lz4`, else none).
    ///
    /// - Returns: The summary of the run (not written to disk).
    public static func exportFlows(_ pipeline: PipelineOptions, to path: String,
                                   progress: ((ProgressSnapshot) -> Void)? = nil) throws(AnalysisError) -> AnalysisSummary {
        let started = Date()
        let (format, compression) = encoding(forPath: path)
        let writer = try FlowFileWriter(path: path, format: format, compression: compression)
        let report = try Pipeline(options: pipeline).run(sinks: [writer], progress: progress)
        return AnalysisSummary(command: "flows", startedAt: started, report: report,
                               options: describe(pipeline, compression: compression, format: format),
                               outputs: ["flows": path])
    }

    /// The format and compression a file name asks for: `x.csv.zst` is zstd CSV, `x.ndjson` plain NDJSON.
    public static func encoding(forPath path: String) -> (OutputFormat, OutputCompression) {
        var name = (path as NSString).lastPathComponent.lowercased()
        var compression = OutputCompression.none
        for candidate in [OutputCompression.zstd, .lz4] where name.hasSuffix(candidate.fileExtension) {
            compression = candidate
            name = String(name.dropLast(candidate.fileExtension.count))
        }
        return (name.hasSuffix(".csv") ? .csv : .ndjson, compression)
    }

    private static func writeSummary(_ summary: AnalysisSummary, to path: String) throws(AnalysisError) {
        do {
            let file = try OutputFile(path: path, compression: .none)
            try file.write([UInt8](summary.jsonData()))
            try file.close()
        } catch {
            throw .output(error)
        }
    }

    private static func describe(_ pipeline: PipelineOptions, compression: OutputCompression,
                                 format: OutputFormat) -> [String: String] {
        var options = [
            "workers": String(pipeline.workers),
            "idle_timeout_s": String(Double(pipeline.flows.idleTimeout) / 1e9),
            "tcp_idle_timeout_s": String(Double(pipeline.flows.tcpIdleTimeout) / 1e9),
            "active_timeout_s": String(Double(pipeline.flows.activeTimeout) / 1e9),
            "max_flows": String(pipeline.flows.maximumFlows),
            "compression": compression.rawValue,
            "format": format.rawValue,
        ]
        if let filter = pipeline.filter { options["filter"] = filter }
        options["input_format"] = pipeline.inputFormat.rawValue
        options["huge_pages"] = HugePages.wanted ? "true" : "false"  // the flow table's pages: timings depend on it
        if let port = pipeline.exportPort { options["export_port"] = String(port) }
        return options
    }
}
