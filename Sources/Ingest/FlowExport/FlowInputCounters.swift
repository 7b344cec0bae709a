/// What reading a flow input (nfdump file, NetFlow/IPFIX datagrams) found, for `summary.json`.
///
/// Every record read lands in one of ``flows``, ``malformedRecords`` or ``otherRecords``; data sets
/// that could not be decoded at all are counted in ``droppedDataSets``.
public struct FlowInputCounters: Sendable, Hashable {
    /// Flow records turned into (unidirectional) flows.
    public var flows: UInt64 = 0
    /// Packets in those flows (sampling-corrected when the exporter declared sampling).
    public var packets: UInt64 = 0
    /// Exporter octets in those flows.
    public var bytes: UInt64 = 0
    /// Flow records that were cut short or lacked addresses/counters: counted and skipped.
    public var malformedRecords: UInt64 = 0
    /// Records that are not flows (exporter, sampler, statistics, option data): read, not turned into flows.
    public var otherRecords: UInt64 = 0
    /// Data sets dropped: their template never arrived within the hold limits (time, count), or the
    /// template cache evicted it.
    public var droppedDataSets: UInt64 = 0
    /// Data sets that arrived before their template and were held (some later decoded, some dropped).
    public var heldDataSets: UInt64 = 0
    /// Data sets decoded after their template arrived.
    public var releasedDataSets: UInt64 = 0
    /// nfdump blocks skipped as corrupt (bad header, failed decompression).
    public var corruptBlocks: UInt64 = 0
    /// Datagrams (or nfdump blocks) read.
    public var containers: UInt64 = 0
    /// Datagrams that were not NetFlow v5/v9/IPFIX or were malformed beyond their header.
    public var malformedContainers: UInt64 = 0
    /// Templates and option templates learnt (including refreshes).
    public var templates: UInt64 = 0
    /// Templates withdrawn (IPFIX) or expired from the bounded cache.
    public var templatesRemoved: UInt64 = 0
    /// Option records (sampling rates, boot times) not remembered because the per-exporter limits of
    /// ``FlowExportLimits`` were reached.
    public var droppedOptions: UInt64 = 0

    /// Creates zero counters.
    public init() {}

    /// Adds `other` to these counters.
    public mutating func merge(_ other: FlowInputCounters) {
        flows &+= other.flows
        packets &+= other.packets
        bytes &+= other.bytes
        malformedRecords &+= other.malformedRecords
        otherRecords &+= other.otherRecords
        droppedDataSets &+= other.droppedDataSets
        heldDataSets &+= other.heldDataSets
        releasedDataSets &+= other.releasedDataSets
        corruptBlocks &+= other.corruptBlocks
        containers &+= other.containers
        malformedContainers &+= other.malformedContainers
        templates &+= other.templates
        templatesRemoved &+= other.templatesRemoved
        droppedOptions &+= other.droppedOptions
    }
}
