public import Detect
public import FlowModel
public import Output
internal import Dispatch

/// Runs the ``EgressDetector`` over the pipeline's flows, learns DNS names from its DNS answers, and
/// writes `egress.*` when the pipeline ends.
public final class EgressSink: FlowSink, DNSAnswerSink {
    /// The fields of an egress line, in order (the CSV header).
    public static let fieldNames = [
        "src", "zone", "dst", "dport", "proto", "flows", "bytes_out", "bytes_in", "first_seen", "last_seen",
        "reason", "severity", "dns_name", "upload", "beacon",
    ]

    /// The detectors of the two shares of connections (``EgressDetector/consume(_:share:of:)``): each part
    /// of a side-by-side batch takes one share, and at ``finish()`` the two decide their findings side by
    /// side, merged in order. (Halves of each batch by position, merged at the end, cost a dictionary merge
    /// and one long serial finish on the run's tail.)
    private var shareZero: EgressDetector
    private var shareOne: EgressDetector
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
        shareZero = EgressDetector(policy: policy)
        shareOne = EgressDetector(policy: policy)
        writer = try FindingWriter(path: path, format: format, compression: compression, fields: Self.fieldNames)
    }

    /// The final path of the file.
    public var path: String { writer.path }

    /// The DNS name table learnt so far.
    public var nameTable: DNSNameTable { names }

    /// Feeds the flows to both detectors, each taking its share.
    public func consume(_ flows: FlowBatch) throws(AnalysisError) {
        shareZero.consume(flows, sharingWith: &shareOne)
    }

    /// Two: each share of the connections of a large batch goes to its own detector, so the end-of-input
    /// flush is not one long task beside the others.
    public var sideBySideParts: Int { 2 }

    /// Part 0 takes share 0 of `flows`, part 1 share 1 (each mutates its own detector in place).
    public func consume(_ flows: FlowBatch, part: Int) throws(AnalysisError) {
        if part == 0 { shareZero.consume(flows, share: 0, of: 2) } else { shareOne.consume(flows, share: 1, of: 2) }
    }

    /// Adds DNS answers to the name table.
    public func consume(_ answers: [DNSAnswer]) {
        dnsAnswers &+= UInt64(answers.count)
        names.add(answers)
    }

    /// Decides the findings and writes them, most severe first.
    public func finish() throws(AnalysisError) {
        let beacons = beaconKeys?()
        let names = self.names
        nonisolated(unsafe) let sink = self  // invariant: task 0 reads shareZero only, task 1 shareOne only
        let decided = UnsafeMutableBufferPointer<[EgressFinding]>.allocate(capacity: 2)
        decided.initialize(repeating: [])
        defer { decided.deinitialize(); decided.deallocate() }
        nonisolated(unsafe) let output = decided  // invariant: task i writes output[i] only
        DispatchQueue.concurrentPerform(iterations: 2) { share in
            output[share] = (share == 0 ? sink.shareZero : sink.shareOne).finish(names: names, beacons: beacons)
        }
        findings = EgressDetector.mergedFindings(decided[0], decided[1])
        let written = findings
        try writer.records(count: written.count) { encoder, i in
            let finding = written[i]
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
        try writer.close()
    }
}
