/// A data set that arrived before its template: a copy of its records and the context to decode them.
struct PendingDataSet {
    var key: TemplateKey
    var records: [UInt8]
    var context: ExportContext
    var sequence: UInt64
}

/// Templates keyed by (exporter, domain, id), bounded by ``FlowExportLimits``, and the data sets held
/// until their template arrives.
///
/// Every operation costs time in proportion to what it touches, never to the size of the whole cache, so a
/// datagram full of new template ids or withdrawals cannot make each of its records scan thousands of
/// templates: templates are indexed by scope, eviction takes the oldest entry of a queue in refresh
/// order, and held sets are counted per template key.
struct TemplateCache {
    /// A template and when it was last learnt or refreshed.
    struct Entry {
        var template: ExportTemplate
        var sequence: UInt64
    }

    let limits: FlowExportLimits
    private(set) var templates: [TemplateKey: Entry] = [:]
    /// The template ids of each scope that has any.
    private var idsByScope: [ExporterScope: Set<UInt16>] = [:]
    /// Keys in refresh order, oldest first from `orderStart`; an entry is stale once its key was
    /// refreshed (a newer sequence) or removed.
    private var order: [(key: TemplateKey, sequence: UInt64)] = []
    private var orderStart = 0
    private(set) var pending: [PendingDataSet] = []
    /// Held sets per key, so that learning a template with nothing waiting costs a lookup.
    private var pendingPerKey: [TemplateKey: Int] = [:]
    /// The bytes of every held set's records.
    private(set) var pendingBytes = 0
    private var sequence: UInt64 = 0

    init(limits: FlowExportLimits) { self.limits = limits }

    /// Entries in the eviction queue, stale ones included: at most about twice ``templates``' count.
    var queueLength: Int { order.count }

    /// The template for `key`, if known.
    func template(_ key: TemplateKey) -> ExportTemplate? { templates[key]?.template }

    /// Learns (or refreshes) a template; evicts the least recently refreshed when full.
    ///
    /// - Returns: The number of templates evicted (0 or 1).
    mutating func learn(_ template: ExportTemplate, for key: TemplateKey) -> Int {
        sequence &+= 1
        var evicted = 0
        if templates[key] == nil {
            while templates.count >= limits.maximumTemplates, let oldest = popOldest() {
                remove(oldest)
                evicted += 1
            }
            idsByScope[key.scope, default: []].insert(key.id)
        }
        templates[key] = Entry(template: template, sequence: sequence)
        order.append((key, sequence))
        compactOrder()
        return evicted
    }

    /// Withdraws one template (IPFIX withdrawal); returns whether it existed.
    mutating func withdraw(_ key: TemplateKey) -> Bool {
        guard templates[key] != nil else { return false }
        remove(key)
        return true
    }

    /// Withdraws every template (or options template) of `scope` (IPFIX "all templates" withdrawal);
    /// returns how many.
    mutating func withdrawAll(in scope: ExporterScope, options: Bool) -> Int {
        guard let ids = idsByScope[scope] else { return 0 }
        var removed = 0
        for id in ids {
            let key = TemplateKey(scope: scope, id: id)
            if templates[key]?.template.isOptions == options {
                remove(key)
                removed += 1
            }
        }
        return removed
    }

    /// Holds a copy of a data set; returns how many held sets (oldest first, possibly this one) were
    /// dropped to stay within the count and byte limits.
    mutating func hold(_ records: UnsafeRawBufferPointer, key: TemplateKey, context: ExportContext) -> Int {
        sequence &+= 1
        pending.append(PendingDataSet(key: key, records: Array(records), context: context, sequence: sequence))
        pendingPerKey[key, default: 0] += 1
        pendingBytes += records.count
        var dropped = 0
        var droppedBytes = 0
        while dropped < pending.count
            && (pending.count - dropped > limits.maximumPendingSets || pendingBytes - droppedBytes > limits.maximumPendingBytes) {
            droppedBytes += pending[dropped].records.count
            dropped += 1
        }
        for set in pending[..<dropped] { forgetPending(set) }
        pending.removeFirst(dropped)
        return dropped
    }

    /// Removes and returns the held sets waiting for `key`.
    mutating func release(_ key: TemplateKey) -> [PendingDataSet] {
        guard pendingPerKey[key] != nil else { return [] }
        let released = pending.filter { $0.key == key }
        pending.removeAll { $0.key == key }
        for set in released { forgetPending(set) }
        return released
    }

    /// Drops held sets older than the hold time at export time `nowMs`; returns how many.
    mutating func expire(nowMs: Int64) -> Int {
        guard !pending.isEmpty else { return 0 }
        let (limit, overflow) = limits.pendingSeconds.multipliedReportingOverflow(by: 1000)
        let expired = pending.filter { nowMs &- $0.context.exportMs > (overflow ? .max : limit) }
        guard !expired.isEmpty else { return 0 }
        pending.removeAll { nowMs &- $0.context.exportMs > (overflow ? .max : limit) }
        for set in expired { forgetPending(set) }
        return expired.count
    }

    /// Drops every held set (end of input); returns how many.
    mutating func dropAll() -> Int {
        defer {
            pending.removeAll()
            pendingPerKey.removeAll()
            pendingBytes = 0
        }
        return pending.count
    }

    /// The key of the least recently refreshed template, taken off the queue; `nil` when none is left.
    private mutating func popOldest() -> TemplateKey? {
        while orderStart < order.count {
            let (key, sequence) = order[orderStart]
            orderStart += 1
            if templates[key]?.sequence == sequence { return key }
        }
        return nil
    }

    /// Drops taken and stale queue entries once they outnumber the live ones (amortised O(1) per learn).
    private mutating func compactOrder() {
        guard order.count > 2 * templates.count + 64 else { return }
        order = order[orderStart...].filter { templates[$0.key]?.sequence == $0.sequence }
        orderStart = 0
    }

    /// Removes `key`'s template and its scope index entry.
    private mutating func remove(_ key: TemplateKey) {
        templates[key] = nil
        idsByScope[key.scope]?.remove(key.id)
        if idsByScope[key.scope]?.isEmpty == true { idsByScope[key.scope] = nil }
    }

    /// Updates the per-key count and byte total for a held set that is leaving.
    private mutating func forgetPending(_ set: PendingDataSet) {
        pendingBytes -= set.records.count
        let left = (pendingPerKey[set.key] ?? 1) - 1
        pendingPerKey[set.key] = left > 0 ? left : nil
    }
}
