public import FlowModel

/// Who exported a datagram: the exporter's address and its v9 source id / IPFIX observation domain.
/// Templates, samplers and boot times are scoped by this (as nfcapd does, the UDP port is not part of it).
public struct ExporterScope: Hashable, Sendable {
    /// The exporter's address (the UDP source; `::` for datagram files that do not say).
    public var address: IPAddress
    /// The v9 source id or IPFIX observation domain id.
    public var domain: UInt32
    /// The protocol version (9 or 10): a v9 and an IPFIX exporter on one address do not share templates.
    public var version: UInt16

    /// Creates a scope.
    public init(address: IPAddress, domain: UInt32, version: UInt16) {
        self.address = address
        self.domain = domain
        self.version = version
    }
}

/// Limits that keep the template state bounded whatever the input.
public struct FlowExportLimits: Sendable, Hashable {
    /// Most templates held over all exporters; the least recently refreshed is evicted beyond it.
    public var maximumTemplates: Int
    /// Most data sets held while waiting for their template, over all exporters.
    public var maximumPendingSets: Int
    /// Export-time seconds a held data set waits for its template before it is dropped.
    public var pendingSeconds: Int64

    /// Creates limits; the defaults suit a hospital's few dozen exporters.
    public init(maximumTemplates: Int = 4096, maximumPendingSets: Int = 1024, pendingSeconds: Int64 = 600) {
        self.maximumTemplates = maximumTemplates
        self.maximumPendingSets = maximumPendingSets
        self.pendingSeconds = pendingSeconds
    }
}

/// The key of one template: its exporter scope and id.
struct TemplateKey: Hashable, Sendable {
    var scope: ExporterScope
    var id: UInt16
}

/// What the data records of one datagram need besides their template: the header's times.
struct ExportContext: Sendable {
    /// The exporter scope.
    var scope: ExporterScope
    /// The header's export time, ms since the epoch.
    var exportMs: Int64
    /// v9: the header's sysUptime (ms since the exporter booted); `nil` for IPFIX.
    var sysUptime: UInt32?
}

/// A data set that arrived before its template: a copy of its records and the context to decode them.
struct PendingDataSet {
    var key: TemplateKey
    var records: [UInt8]
    var context: ExportContext
    var sequence: UInt64
}

/// Templates keyed by (exporter, domain, id), bounded by ``FlowExportLimits``, and the data sets held
/// until their template arrives.
struct TemplateCache {
    let limits: FlowExportLimits
    private(set) var templates: [TemplateKey: (template: ExportTemplate, sequence: UInt64)] = [:]
    private(set) var pending: [PendingDataSet] = []
    private var sequence: UInt64 = 0

    init(limits: FlowExportLimits) { self.limits = limits }

    /// The template for `key`, if known.
    func template(_ key: TemplateKey) -> ExportTemplate? { templates[key]?.template }

    /// Learns (or refreshes) a template; evicts the least recently refreshed when full.
    ///
    /// - Returns: The number of templates evicted (0 or 1).
    mutating func learn(_ template: ExportTemplate, for key: TemplateKey) -> Int {
        sequence &+= 1
        var evicted = 0
        if templates[key] == nil, templates.count >= limits.maximumTemplates,
           let oldest = templates.min(by: { $0.value.sequence < $1.value.sequence })?.key {
            templates[oldest] = nil
            evicted = 1
        }
        templates[key] = (template, sequence)
        return evicted
    }

    /// Withdraws one template (IPFIX withdrawal); returns whether it existed.
    mutating func withdraw(_ key: TemplateKey) -> Bool { templates.removeValue(forKey: key) != nil }

    /// Withdraws every template of `scope` (IPFIX "all templates" withdrawal); returns how many.
    mutating func withdrawAll(in scope: ExporterScope, options: Bool) -> Int {
        let keys = templates.filter { $0.key.scope == scope && $0.value.template.isOptions == options }.map(\.key)
        for key in keys { templates[key] = nil }
        return keys.count
    }

    /// Holds a data set; returns how many held sets were dropped to stay within the count limit.
    mutating func hold(_ records: UnsafeRawBufferPointer, key: TemplateKey, context: ExportContext) -> Int {
        sequence &+= 1
        pending.append(PendingDataSet(key: key, records: Array(records), context: context, sequence: sequence))
        var dropped = 0
        if pending.count > limits.maximumPendingSets {
            dropped = pending.count - limits.maximumPendingSets
            pending.removeFirst(dropped)
        }
        return dropped
    }

    /// Removes and returns the held sets waiting for `key`.
    mutating func release(_ key: TemplateKey) -> [PendingDataSet] {
        guard pending.contains(where: { $0.key == key }) else { return [] }
        let released = pending.filter { $0.key == key }
        pending.removeAll { $0.key == key }
        return released
    }

    /// Drops held sets older than the hold time at export time `nowMs`; returns how many.
    mutating func expire(nowMs: Int64) -> Int {
        let limit = limits.pendingSeconds * 1000
        let before = pending.count
        pending.removeAll { nowMs - $0.context.exportMs > limit }
        return before - pending.count
    }

    /// Drops every held set (end of input); returns how many.
    mutating func dropAll() -> Int {
        defer { pending.removeAll() }
        return pending.count
    }
}
