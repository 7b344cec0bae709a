public import Detect
public import FlowModel
public import Output

/// Runs the ``EgressDetector`` over the pipeline's flows, learns DNS names from its DNS answers, and
/// writes `egress.*` when the pipeline ends.
public final class EgressSink: FlowSink, DNSAnswerSink {
    /// The fields of an egress line, in order (the CSV header).
    public static let fieldNames = [
        "src", "zone", "dst", "dport", "proto", "flows", "bytes_out", "bytes_in", "first_seen", "last_seen",
        "reason", "severity", "dns_name", "upload", "beacon",
    ]

    private var detector: EgressDetector
    /// The detector of the second half of side-by-side batches (``consume(_:part:)``), until ``finish()``.
    private var secondHalf: EgressDetector?
    private var names = DNSNameTable()
    private let writer: FindingWriter
    /// Supplies the beacon findings' keys at finish, when a beacon detector ran before this sink finishes.
    public var beaconKeys: (() -> Set<ConnectionKey>?)?
    /// The findings written, available after ``finish()``.
    public private(set) var findings: [EgressFinding] = []
    /// DNS answers taken.
    public private(set) var dnsAnswers: UInt64 = 0

    /// Creates the sink and its file.
    ///
    /// - Parameters:
    ///   - policy: The compiled policy.
    ///   - path: The final path of the egress file.
    ///   - format: NDJSON or CSV.
    ///   - compression: zstd, lz4 or none.
    public init(policy: CompiledPolicy, path: String, format: OutputFormat, compression: OutputCompression)
        throws(AnalysisError) {
        detector = EgressDetector(policy: policy)
        writer = try FindingWriter(path: path, format: format, compression: compression, fields: Self.fieldNames)
    }

    /// The final path of the file.
    public var path: String { writer.path }

    /// The DNS name table learnt so far.
    public var nameTable: DNSNameTable { names }

    /// Feeds the flows to the detector.
    public func consume(_ flows: FlowBatch) throws(AnalysisError) {
        detector.consume(flows)
    }

    /// Two: each half of a large batch goes to a detector of its own (part 1's is merged in at
    /// ``finish()``), so the end-of-input flush is not one long task beside the others.
    public var sideBySideParts: Int { 2 }

    /// Part 0 takes the first half of `flows`, part 1 the second half.
    public func consume(_ flows: FlowBatch, part: Int) throws(AnalysisError) {
        let middle = flows.count / 2
        if part == 0 {
            detector.consume(flows, range: 0..<middle)
        } else {
            // Mutated in place: a copy taken out and stored back would copy its dictionary while both hold it.
            if secondHalf == nil { secondHalf = EgressDetector(policy: detector.policy) }
            secondHalf!.consume(flows, range: middle..<flows.count)
        }
    }

    /// Adds DNS answers to the name table.
    public func consume(_ answers: [DNSAnswer]) {
        dnsAnswers &+= UInt64(answers.count)
        names.add(answers)
    }

    /// Decides the findings and writes them, most severe first.
    public func finish() throws(AnalysisError) {
        if let secondHalf {
            detector.merge(secondHalf)
            self.secondHalf = nil
        }
        findings = detector.finish(names: names, beacons: beaconKeys?())
        for finding in findings {
            try writer.record { encoder in
                encoder.address("src", finding.key.src)
                encoder.string("zone", finding.zone)
                encoder.address("dst", finding.key.dst)
                encoder.integer("dport", UInt64(finding.key.dport))
                encoder.protocolField("proto", finding.key.proto)
                encoder.integer("flows", finding.flows)
                encoder.integer("bytes_out", finding.bytesOut)
                encoder.integer("bytes_in", finding.bytesIn)
                encoder.timestamp("first_seen", finding.firstSeen)
                encoder.timestamp("last_seen", finding.lastSeen)
                encoder.string("reason", finding.reason.rawValue)
                encoder.string("severity", finding.severity.name)
                encoder.optionalString("dns_name", finding.dnsName)
                encoder.boolean("upload", finding.upload)
                encoder.boolean("beacon", finding.beacon)
            }
        }
        try writer.close()
    }
}
