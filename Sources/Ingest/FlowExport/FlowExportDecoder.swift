public import FlowModel

/// Decodes NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) datagrams into unidirectional flows.
///
/// One decoder holds the soft state of every exporter it has seen: templates and option templates keyed by
/// (exporter address, source id / observation domain, template id) in a bounded ``TemplateCache``,
/// sampling rates learnt from option data, and IPFIX `systemInitTimeMilliseconds`. Data sets that arrive
/// before their template are held (bounded by count and export time, ``FlowExportLimits``) and decoded
/// when it arrives, else counted in ``FlowInputCounters/droppedDataSets``.
///
/// Times: v5/v9 sysUptime-relative times become absolute with the header's export time (a value after
/// sysUptime is read as a 32-bit wrap); IPFIX uptime elements (21/22) use the exporter's system init
/// time. Counts are multiplied by the sampling rate when the exporter declares one (v5 header, v9/IPFIX
/// sampler options or per-record interval), as nfcapd does.
public final class FlowExportDecoder {
    /// Counters over every datagram decoded so far.
    public private(set) var counters = FlowInputCounters()
    /// Datagram versions seen (5, 9, 10).
    public private(set) var versions: Set<UInt16> = []
    /// The templates and held data sets (internal for the bound tests).
    private(set) var cache: TemplateCache
    /// What options data taught about each exporter scope (internal for the bound tests).
    private(set) var exporters: [ExporterScope: ExporterState] = [:]

    /// What options data taught about one exporter; at most ``FlowExportLimits/maximumExporters`` of them,
    /// each with at most ``FlowExportLimits/maximumSamplersPerExporter`` samplers.
    struct ExporterState {
        var samplers: [UInt64: UInt64] = [:]
        var defaultRate: UInt64?
        var systemInitMs: Int64?
    }

    /// Creates a decoder with the given bounds.
    public init(limits: FlowExportLimits = FlowExportLimits()) {
        cache = TemplateCache(limits: limits)
    }

    /// The report name of what was decoded: `netflow-v5`, `netflow-v9`, `ipfix`, or a `+` list.
    public var formatName: String {
        let names = versions.sorted().map { $0 == 10 ? "ipfix" : "netflow-v\($0)" }
        return names.isEmpty ? "netflow" : names.joined(separator: "+")
    }

    /// Whether `bytes` start like a NetFlow v5/v9 or IPFIX message header.
    public static func looksLikeExport(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 16 else { return false }
        let version = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let second = Int(bytes[2]) << 8 | Int(bytes[3])
        switch version {
        case 5: return bytes.count >= 24 && (1...30).contains(second) && 24 + second * 48 <= bytes.count
        case 9: return bytes.count >= 20 && second >= 0
        case 10: return second >= 16 && second <= bytes.count
        default: return false
        }
    }

    /// Decodes one datagram, appending its flows to `batch`.
    ///
    /// - Parameters:
    ///   - datagram: The UDP payload.
    ///   - exporter: The exporter's address (UDP source), or `.zero` when unknown.
    ///   - batch: Receives one flow per data record.
    public func decode(_ datagram: UnsafeRawBufferPointer, exporter: IPAddress, into batch: inout FlowBatch) {
        counters.containers &+= 1
        guard datagram.count >= 4 else { counters.malformedContainers &+= 1; return }
        let version = be16(datagram, 0)
        switch version {
        case 5: decodeV5(datagram, into: &batch)
        case 9: decodeTemplated(datagram, version: 9, exporter: exporter, into: &batch)
        case 10: decodeTemplated(datagram, version: 10, exporter: exporter, into: &batch)
        default: counters.malformedContainers &+= 1; return
        }
        versions.insert(version)
    }

    /// Counts a datagram that could not be read at all (e.g. an IP fragment of one).
    public func noteMalformedDatagram() {
        counters.containers &+= 1
        counters.malformedContainers &+= 1
    }

    /// Ends the input: held data sets whose template never came are counted as dropped.
    public func finish() {
        counters.droppedDataSets &+= UInt64(cache.dropAll())
    }

    // MARK: - NetFlow v5

    /// v5: 24-byte header, then `count` 48-byte records; times relative to sysUptime.
    private func decodeV5(_ datagram: UnsafeRawBufferPointer, into batch: inout FlowBatch) {
        let count = Int(be16(datagram, 2))
        guard datagram.count >= 24, count <= 30 else { counters.malformedContainers &+= 1; return }
        let sysUptime = be32(datagram, 4)
        let exportNs = Int64(be32(datagram, 8)) * 1_000_000_000 + Int64(min(be32(datagram, 12), 999_999_999))
        let interval = UInt64(be16(datagram, 22) & 0x3FFF)
        let rate = interval > 1 ? interval : 1
        let available = (datagram.count - 24) / 48
        if available < count { counters.malformedRecords &+= UInt64(count - available) }
        for index in 0..<min(count, available) {
            let at = 24 + index * 48
            let packets = UInt64(be32(datagram, at + 16)) &* rate
            let bytes = UInt64(be32(datagram, at + 20)) &* rate
            batch.appendExported(
                src: IPAddress(v4: be32(datagram, at)), dst: IPAddress(v4: be32(datagram, at + 4)),
                srcPort: be16(datagram, at + 32), dstPort: be16(datagram, at + 34), proto: datagram[at + 38],
                firstSeenNs: exportNs - uptimeDelta(sysUptime, be32(datagram, at + 24)) * 1_000_000,
                lastSeenNs: exportNs - uptimeDelta(sysUptime, be32(datagram, at + 28)) * 1_000_000,
                packets: packets, bytes: bytes, tcpFlags: datagram[at + 37], endReason: .idle)
            counters.flows &+= 1
            counters.packets &+= packets
            counters.bytes &+= bytes
        }
    }

    // MARK: - NetFlow v9 and IPFIX

    /// v9 (20-byte header, sets until the datagram ends) and IPFIX (16-byte header with a length).
    private func decodeTemplated(
        _ datagram: UnsafeRawBufferPointer, version: UInt16, exporter: IPAddress, into batch: inout FlowBatch
    ) {
        let headerSize = version == 9 ? 20 : 16
        guard datagram.count >= headerSize else { counters.malformedContainers &+= 1; return }
        var end = datagram.count
        let context: ExportContext
        if version == 9 {
            context = ExportContext(scope: ExporterScope(address: exporter, domain: be32(datagram, 16), version: 9),
                                    exportMs: Int64(be32(datagram, 8)) * 1000, sysUptime: be32(datagram, 4))
        } else {
            let length = Int(be16(datagram, 2))
            guard length >= headerSize, length <= datagram.count else { counters.malformedContainers &+= 1; return }
            end = length
            context = ExportContext(scope: ExporterScope(address: exporter, domain: be32(datagram, 12), version: 10),
                                    exportMs: Int64(be32(datagram, 4)) * 1000, sysUptime: nil)
        }
        counters.droppedDataSets &+= UInt64(cache.expire(nowMs: context.exportMs))
        var at = headerSize
        while at + 4 <= end {
            let setID = be16(datagram, at)
            let length = Int(be16(datagram, at + 2))
            guard length >= 4, length <= end - at else { counters.malformedContainers &+= 1; return }
            let body = UnsafeRawBufferPointer(rebasing: datagram[(at + 4)..<(at + length)])
            switch (version, setID) {
            case (9, 0), (10, 2): learnTemplates(body, options: false, context: context, into: &batch)
            case (9, 1), (10, 3): learnTemplates(body, options: true, context: context, into: &batch)
            case (_, 256...): decodeDataSet(body, key: TemplateKey(scope: context.scope, id: setID), context: context,
                                            into: &batch)
            default: break  // reserved set ids are skipped by length
            }
            at += length
        }
    }

    /// Reads the template records of one template or options template set.
    private func learnTemplates(
        _ set: UnsafeRawBufferPointer, options: Bool, context: ExportContext, into batch: inout FlowBatch
    ) {
        let ipfix = context.scope.version == 10
        var at = 0
        while at + 4 <= set.count {
            let id = be16(set, at)
            var fieldCount: Int, scopeCount = 0
            var header = 4
            if ipfix && be16(set, at + 2) == 0 {
                fieldCount = 0  // a withdrawal: 4 bytes in template and options template sets alike
            } else if options && ipfix {
                guard at + 6 <= set.count else { break }
                fieldCount = Int(be16(set, at + 2))
                scopeCount = Int(be16(set, at + 4))
                header = 6
            } else if options {
                guard at + 6 <= set.count else { break }
                let scopeBytes = Int(be16(set, at + 2)), optionBytes = Int(be16(set, at + 4))
                scopeCount = scopeBytes / 4
                fieldCount = scopeCount + optionBytes / 4
                header = 6
            } else {
                fieldCount = Int(be16(set, at + 2))
            }
            if id == 0 && fieldCount == 0 { break }  // padding
            if ipfix && fieldCount == 0 {
                // Withdrawal: id 2/3 withdraws every (options) template of the scope, else one.
                if id == 2 || id == 3 {
                    counters.templatesRemoved &+= UInt64(cache.withdrawAll(in: context.scope, options: id == 3))
                } else if cache.withdraw(TemplateKey(scope: context.scope, id: id)) {
                    counters.templatesRemoved &+= 1
                }
                at += 4
                continue
            }
            guard id >= 256, fieldCount <= cache.limits.maximumTemplateFields else {
                counters.malformedContainers &+= 1
                return
            }
            var fields: [TemplateField] = []
            fields.reserveCapacity(fieldCount)
            var cursor = at + header
            for _ in 0..<fieldCount {
                guard cursor + 4 <= set.count else { counters.malformedContainers &+= 1; return }
                var fieldID = be16(set, cursor)
                let length = be16(set, cursor + 2)
                var enterprise: UInt32 = 0
                cursor += 4
                if ipfix && fieldID & 0x8000 != 0 {
                    guard cursor + 4 <= set.count else { counters.malformedContainers &+= 1; return }
                    enterprise = be32(set, cursor)
                    fieldID &= 0x7FFF
                    cursor += 4
                }
                fields.append(TemplateField(id: fieldID, length: ipfix ? length : min(length, 0xFFFE),
                                            enterprise: enterprise))
            }
            let key = TemplateKey(scope: context.scope, id: id)
            counters.templates &+= 1
            counters.templatesRemoved &+= UInt64(cache.learn(ExportTemplate(fields: fields, scopeCount: scopeCount,
                                                                            isOptions: options), for: key))
            for held in cache.release(key) {
                counters.releasedDataSets &+= 1
                held.records.withUnsafeBytes { decodeRecords($0, key: key, context: held.context, into: &batch) }
            }
            at = cursor
        }
    }

    /// Decodes a data set, or holds it when its template is unknown.
    private func decodeDataSet(
        _ set: UnsafeRawBufferPointer, key: TemplateKey, context: ExportContext, into batch: inout FlowBatch
    ) {
        guard cache.template(key) != nil else {
            counters.heldDataSets &+= 1
            counters.droppedDataSets &+= UInt64(cache.hold(set, key: key, context: context))
            return
        }
        decodeRecords(set, key: key, context: context, into: &batch)
    }

    /// Decodes every record of a data set whose template is known.
    private func decodeRecords(
        _ set: UnsafeRawBufferPointer, key: TemplateKey, context: ExportContext, into batch: inout FlowBatch
    ) {
        guard let template = cache.template(key) else { counters.droppedDataSets &+= 1; return }
        let minimum = max(template.minimumLength, 1)
        var at = 0
        while set.count - at >= minimum {
            guard let (values, length) = TemplateRecordReader.read(set, at: at, template: template), length > 0 else {
                counters.malformedRecords &+= 1
                return
            }
            at += length
            if template.isOptions {
                learnOptions(values, scope: context.scope)
                counters.otherRecords &+= 1
            } else {
                appendFlow(values, context: context, into: &batch)
            }
        }
    }

    /// Keeps what an options record says about sampling and boot time, within the per-exporter limits.
    private func learnOptions(_ values: RecordValues, scope: ExporterScope) {
        let interval = values.samplingInterval.flatMap { $0 > 0 ? $0 : nil }
        guard interval != nil || values.systemInitMs != nil else { return }
        guard exporters[scope] != nil || exporters.count < cache.limits.maximumExporters else {
            counters.droppedOptions &+= 1
            return
        }
        var state = exporters[scope] ?? ExporterState()
        if let interval {
            let rate = samplingRate(interval: interval, space: values.samplingSpace)
            if let id = values.samplerId {
                if state.samplers[id] != nil || state.samplers.count < cache.limits.maximumSamplersPerExporter {
                    state.samplers[id] = rate
                } else {
                    counters.droppedOptions &+= 1
                }
            } else {
                state.defaultRate = rate
            }
        }
        if let initMs = values.systemInitMs { state.systemInitMs = initMs }
        exporters[scope] = state
    }

    /// `interval` packets sampled out of every `interval + space` (IPFIX 305/306), or 1 in `interval`.
    /// Both come from the exporter: a sum past 2^64 saturates instead of trapping.
    private func samplingRate(interval: UInt64, space: UInt64?) -> UInt64 {
        guard let space else { return max(interval, 1) }
        let (total, overflow) = interval.addingReportingOverflow(space)
        return max((overflow ? .max : total) / max(interval, 1), 1)
    }

    /// Turns a data record into a flow.
    private func appendFlow(_ values: RecordValues, context: ExportContext, into batch: inout FlowBatch) {
        guard let src = values.src, let dst = values.dst, src.isIPv4 == dst.isIPv4 else {
            counters.malformedRecords &+= 1
            return
        }
        let state = exporters[context.scope]
        var rate: UInt64 = 1
        if let interval = values.samplingInterval, interval > 1 {
            rate = samplingRate(interval: interval, space: values.samplingSpace)
        } else if let id = values.samplerId, let known = state?.samplers[id] {
            rate = known
        } else if let known = state?.defaultRate {
            rate = known
        }
        let (first, last) = times(values, context: context, systemInitMs: values.systemInitMs ?? state?.systemInitMs)
        let packets = (values.packets ?? 0) &* rate, bytes = (values.octets ?? 0) &* rate
        let reversePackets = values.reversePackets &* rate, reverseBytes = values.reverseOctets &* rate
        var dstPort = values.dstPort
        if let typeCode = values.icmpTypeCode, values.proto == 1 || values.proto == 58 { dstPort = typeCode }
        batch.appendExported(
            src: src, dst: dst, srcPort: values.srcPort, dstPort: dstPort, proto: values.proto,
            firstSeenNs: first, lastSeenNs: last, packets: packets, bytes: bytes,
            reversePackets: reversePackets, reverseBytes: reverseBytes, tcpFlags: values.tcpFlags,
            endReason: FlowRecord.EndReason(exportedReason: values.endReason))
        counters.flows &+= 1
        counters.packets &+= packets &+ reversePackets
        counters.bytes &+= bytes &+ reverseBytes
    }

    /// First and last time of a record, ns since the epoch.
    ///
    /// Boot times and durations are 64-bit values from the exporter: sums and products with them saturate
    /// at the ends of `Int64` rather than trap.
    private func times(_ values: RecordValues, context: ExportContext, systemInitMs: Int64?) -> (Int64, Int64) {
        let exportNs = context.exportMs * 1_000_000
        func fromUptime(_ value: UInt32) -> Int64 {
            if let sysUptime = context.sysUptime { return exportNs - uptimeDelta(sysUptime, value) * 1_000_000 }
            if let systemInitMs { return systemInitMs.addingSaturated(Int64(value)).multipliedSaturated(by: 1_000_000) }
            return exportNs
        }
        var last = values.endNs ?? values.endUptime.map(fromUptime)
        var first = values.startNs ?? values.startUptime.map(fromUptime)
        if context.sysUptime == nil, systemInitMs == nil, let start = values.startUptime, let end = values.endUptime,
           values.startNs == nil, values.endNs == nil {
            // IPFIX uptimes without a system init time: anchor the end at the export time.
            last = exportNs
            first = exportNs - Int64(end &- start) * 1_000_000
        }
        if let duration = values.durationMs {
            let durationNs = duration.multipliedSaturated(by: 1_000_000)
            if let start = first, last == nil { last = start.addingSaturated(durationNs) }
            if let end = last, first == nil { first = end.subtractingSaturated(durationNs) }
        }
        let end = last ?? first ?? exportNs
        return (first ?? end, end)
    }
}

/// How many ms before `sysUptime` an uptime stamp lies, reading a stamp after sysUptime as a 32-bit wrap
/// within ±24.8 days.
@inline(__always)
func uptimeDelta(_ sysUptime: UInt32, _ stamp: UInt32) -> Int64 {
    Int64(Int32(bitPattern: sysUptime &- stamp))
}

@inline(__always)
func be16(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt16 { UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) }

@inline(__always)
func be32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
    UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
}
