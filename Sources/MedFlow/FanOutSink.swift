public import Detect
public import FlowModel
public import Output

/// Runs the ``FanOutDetector`` over the pipeline's flows and writes `fanout.*` when the pipeline ends.
public final class FanOutSink: FlowSink {
    /// The fields of a fan-out line, in order (the CSV header).
    public static let fieldNames = ["src", "dport", "proto", "peers", "window_s", "first_seen", "last_seen", "zone"]

    private var detector: FanOutDetector
    private let writer: FindingWriter
    /// The findings written, available after ``finish()``.
    public private(set) var findings: [FanOutFinding] = []

    /// Creates the sink and its file.
    ///
    /// - Parameters:
    ///   - policy: The compiled policy (zones, internal networks, thresholds); the default policy without one.
    ///   - path: The final path of the fan-out file.
    ///   - format: NDJSON or CSV.
    ///   - compression: zstd, lz4 or none.
    public init(policy: CompiledPolicy, path: String, format: OutputFormat, compression: OutputCompression)
        throws(AnalysisError) {
        detector = FanOutDetector(policy: policy)
        writer = try FindingWriter(path: path, format: format, compression: compression, fields: Self.fieldNames)
    }

    /// The final path of the file.
    public var path: String { writer.path }

    /// Feeds the flows to the detector.
    public func consume(_ flows: FlowBatch) throws(AnalysisError) {
        detector.consume(flows)
    }

    /// Writes the findings, most peers first.
    public func finish() throws(AnalysisError) {
        findings = detector.finish()
        for finding in findings {
            try writer.record { encoder in
                encoder.address("src", finding.src)
                encoder.integer("dport", UInt64(finding.dport))
                encoder.protocolField("proto", finding.proto)
                encoder.integer("peers", UInt64(finding.peers))
                encoder.number("window_s", finding.windowSeconds, decimals: 3)
                encoder.timestamp("first_seen", finding.firstSeen)
                encoder.timestamp("last_seen", finding.lastSeen)
                encoder.optionalString("zone", finding.zone)
            }
        }
        try writer.close()
    }
}
