public import Foundation
import FlowModel
import Ingest
#if canImport(Glibc)
internal import Glibc
#endif

/// The content of `summary.json`: what was read, what was skipped, what was written, how fast.
public struct AnalysisSummary: Codable, Sendable {
    /// One input file.
    public struct Input: Codable, Sendable {
        public var path: String
        public var format: String
        public var compression: String
        public var linkType: String
        public var fileBytes: UInt64
        /// Records in the file (before `--filter`).
        public var packets: UInt64
        /// Wire bytes of the records that passed the filter.
        public var bytes: UInt64
        public var firstSeen: String?
        public var lastSeen: String?
        public var warnings: [String]
        /// Flow inputs only (nfdump, NetFlow/IPFIX): what the records held.
        public var flowExport: FlowExport?
        /// Why the file could not be read (to its end): the one-line error; records before it still count.
        public var error: String?
        /// Damaged regions stepped over (each also a warning with its offset), and their bytes.
        public var damagedRegions: Int = 0
        public var damagedBytes: UInt64 = 0
    }

    /// What a flow input (nfdump file, datagram file, capture of export traffic) held.
    public struct FlowExport: Codable, Sendable {
        /// Flow records turned into flows (before pairing directions).
        public var records: UInt64
        /// Malformed flow records skipped.
        public var malformedRecords: UInt64
        /// Non-flow records (exporter, sampler, option data).
        public var otherRecords: UInt64
        /// Data sets held because they came before their template.
        public var heldDataSets: UInt64
        /// Held data sets decoded once their template came.
        public var releasedDataSets: UInt64
        /// Data sets dropped (their template never came in time).
        public var droppedDataSets: UInt64
        /// nfdump blocks skipped as corrupt.
        public var corruptBlocks: UInt64
        /// Datagrams or nfdump blocks read.
        public var containers: UInt64
        /// Datagrams that were not NetFlow/IPFIX or were malformed.
        public var malformedContainers: UInt64
        /// Templates learnt and withdrawn/evicted.
        public var templates: UInt64
        public var templatesRemoved: UInt64
        /// Export ports read in captures of export traffic.
        public var exportPorts: [UInt16]
    }

    /// Totals over all inputs.
    public struct Totals: Codable, Sendable {
        public var files: Int
        /// Records read.
        public var packets: UInt64
        /// Wire bytes of the records that passed the filter.
        public var bytes: UInt64
        /// Records the `--filter` expression rejected.
        public var filteredOut: UInt64
        /// Packets decoded as IP.
        public var ipPackets: UInt64
        /// Non-IP frames (ARP, EAPOL, …), kept as link-layer flows.
        public var linkFrames: UInt64
        /// Flows written or analysed.
        public var flows: UInt64
        /// Packets and bytes inside those flows.
        public var flowPackets: UInt64
        public var flowBytes: UInt64
        /// Flows ended early (`end: evicted`) because the flow table reached `--max-flows`.
        public var evictedFlows: UInt64
    }

    /// Packets that could not be decoded and were skipped.
    public struct Skipped: Codable, Sendable {
        /// Captured bytes ended before the headers.
        public var tooShort: UInt64
        /// Header fields inconsistent.
        public var malformed: UInt64
        /// Wire bytes of the skipped packets.
        public var bytes: UInt64
        /// DNS responses whose answers could not be read (the packets themselves are kept).
        public var dnsMalformed: UInt64 = 0
        /// Damaged regions of capture files stepped over, over all inputs, and their bytes.
        public var damagedRegions: Int = 0
        public var damagedBytes: UInt64 = 0
        /// Inputs that could not be read (to their end); each has an `error` in `inputs`.
        public var failedFiles: Int = 0
    }

    /// Whether the run had anything to warn about: an input that failed, damage stepped over, a
    /// truncated file, or any other warning. The CLI exits with status 1 then.
    public var hasWarnings: Bool {
        !warnings.isEmpty || skipped.failedFiles > 0 || skipped.damagedRegions > 0
    }

    /// Seconds per stage.
    public struct Timings: Codable, Sendable {
        public var wall: Double
        public var decode: Double
        public var flows: Double
        public var output: Double
    }

    /// Rates over the wall time.
    public struct Throughput: Codable, Sendable {
        public var packetsPerS: Double
        public var inputBytesPerS: Double
    }

    public var medflowVersion: String
    public var command: String
    public var startedAt: String
    public var inputs: [Input]
    public var totals: Totals
    public var skipped: Skipped
    public var warnings: [String]
    public var timingsS: Timings
    public var throughput: Throughput
    /// The process's peak resident set size.
    public var peakRssBytes: UInt64
    /// The options in force.
    public var options: [String: String]
    /// Files written, by kind (`flows`, `summary`).
    public var outputs: [String: String]
    /// Finding counts by detector output (`beacons`, `egress`, `egress_uploads`, `fanout`, `dns_answers`, …).
    public var findings: [String: UInt64] = [:]

    /// Builds the summary of a finished run.
    init(command: String, startedAt: Date, report: PipelineReport, options: [String: String], outputs: [String: String]) {
        medflowVersion = MedFlowVersion.current
        self.command = command
        self.startedAt = Timestamp(nanoseconds: Int64(startedAt.timeIntervalSince1970 * 1e9)).rfc3339
        inputs = report.inputs.map {
            Input(path: $0.path, format: $0.format, compression: $0.compression, linkType: $0.linkType,
                  fileBytes: $0.fileBytes, packets: $0.records, bytes: $0.wireBytes,
                  firstSeen: $0.firstSeen.map { Timestamp(nanoseconds: $0).rfc3339 },
                  lastSeen: $0.lastSeen.map { Timestamp(nanoseconds: $0).rfc3339 }, warnings: $0.warnings,
                  flowExport: Self.flowExport($0), error: $0.failure, damagedRegions: $0.damagedRegions,
                  damagedBytes: $0.damagedBytes)
        }
        let decode = report.decode
        totals = Totals(files: report.inputs.count, packets: report.inputs.reduce(0) { $0 + $1.records },
                        bytes: decode.wireBytes, filteredOut: report.filteredOut, ipPackets: decode.ipPackets,
                        linkFrames: decode.linkFrames, flows: report.flows, flowPackets: report.flowPackets,
                        flowBytes: report.flowBytes, evictedFlows: report.evictedFlows)
        skipped = Skipped(tooShort: decode.tooShort, malformed: decode.malformed, bytes: decode.skippedBytes,
                          dnsMalformed: decode.dnsMalformed,
                          damagedRegions: report.inputs.reduce(0) { $0 + $1.damagedRegions },
                          damagedBytes: report.inputs.reduce(0) { $0 + $1.damagedBytes },
                          failedFiles: report.inputs.filter { $0.failure != nil }.count)
        warnings = report.inputs.flatMap { input in input.warnings + (input.failure.map { ["failed: \($0)"] } ?? []) }
        timingsS = Timings(wall: report.wallSeconds, decode: report.decodeSeconds, flows: report.flowSeconds,
                           output: report.sinkSeconds)
        let wall = max(report.wallSeconds, 1e-9)
        throughput = Throughput(packetsPerS: Double(totals.packets) / wall,
                                inputBytesPerS: Double(report.inputBytes) / wall)
        peakRssBytes = peakResidentSetSize()
        self.options = options
        self.outputs = outputs
    }

    private static func flowExport(_ input: InputReport) -> FlowExport? {
        guard let c = input.flowInput else { return nil }
        return FlowExport(records: c.flows, malformedRecords: c.malformedRecords, otherRecords: c.otherRecords,
                          heldDataSets: c.heldDataSets, releasedDataSets: c.releasedDataSets,
                          droppedDataSets: c.droppedDataSets, corruptBlocks: c.corruptBlocks, containers: c.containers,
                          malformedContainers: c.malformedContainers, templates: c.templates,
                          templatesRemoved: c.templatesRemoved, exportPorts: input.exportPorts)
    }

    /// The summary as pretty-printed JSON with snake_case keys.
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return ((try? encoder.encode(self)) ?? Data()) + Data("\n".utf8)
    }
}

/// The process's peak resident set size in bytes (`getrusage`).
func peakResidentSetSize() -> UInt64 {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
    return UInt64(max(0, usage.ru_maxrss)) * 1024  // kilobytes on Linux
}

/// The version of medflow.
public enum MedFlowVersion {
    /// The version string written to summaries and printed by `--version`.
    public static let current = "0.1.0"
}
