public import Ingest

/// What the pipeline read and produced, for `summary.json`.
public struct PipelineReport: Sendable {
    /// One entry per input file, in processing (first-timestamp) order.
    public var inputs: [InputReport] = []
    /// Decoding counters over all inputs.
    public var decode = DecodeCounters()
    /// Records the `--filter` expression rejected.
    public var filteredOut: UInt64 = 0
    /// Flows handed to the sinks.
    public var flows: UInt64 = 0
    /// Packets in those flows.
    public var flowPackets: UInt64 = 0
    /// Bytes in those flows.
    public var flowBytes: UInt64 = 0
    /// Flows ended early because the flow table was full (`--max-flows`).
    public var evictedFlows: UInt64 = 0
    /// Seconds spent reading and decoding.
    public var decodeSeconds: Double = 0
    /// Seconds spent updating flow tables.
    public var flowSeconds: Double = 0
    /// Seconds spent in sinks (writers, detectors).
    public var sinkSeconds: Double = 0
    /// Wall-clock seconds of the whole run.
    public var wallSeconds: Double = 0
    /// Input bytes (file sizes as stored) read.
    public var inputBytes: UInt64 = 0
}

/// What one input file held.
public struct InputReport: Sendable {
    /// The path as given or expanded.
    public var path: String
    /// `pcap` or `pcapng`; for flow inputs `nfdump`, `netflow-v5`, `netflow-v9`, `ipfix` (joined with `+`
    /// when a file mixes them), prefixed `pcap:` for captures of export traffic.
    public var format: String
    /// `zstd`, `lz4` or `none`; for nfdump files the block compression (`lzo`, `bz2`, `lz4`, `zstd`, `none`).
    public var compression: String
    /// The link type's name.
    public var linkType: String
    /// The file's size on disk.
    public var fileBytes: UInt64
    /// Records read (before filtering): packets, or flow records for flow inputs.
    public var records: UInt64 = 0
    /// Wire bytes of the records decoded; for flow inputs the exporter octets of the flow records.
    public var wireBytes: UInt64 = 0
    /// Earliest and latest packet time, ns.
    public var firstSeen: Int64?
    public var lastSeen: Int64?
    /// Non-fatal problems, one line each.
    public var warnings: [String] = []
    /// Why the file could not be read to its end (records before the failure still count), or `nil`.
    public var failure: String?
    /// Damaged regions of a capture the reader stepped over, and their bytes.
    public var damagedRegions = 0
    public var damagedBytes: UInt64 = 0
    /// For flow inputs (nfdump, NetFlow/IPFIX): what the records held; `nil` for packet captures.
    public var flowInput: FlowInputCounters?
    /// For captures of export traffic: the UDP ports the datagrams were read from.
    public var exportPorts: [UInt16] = []
}

/// A snapshot for the progress line.
public struct ProgressSnapshot: Sendable {
    /// Files finished so far.
    public var filesDone: Int
    /// Files in the run.
    public var filesTotal: Int
    /// Records read so far.
    public var packets: UInt64
    /// Input bytes read so far (decompressed for compressed inputs).
    public var bytes: UInt64
    /// Seconds since the start.
    public var elapsed: Double
}
