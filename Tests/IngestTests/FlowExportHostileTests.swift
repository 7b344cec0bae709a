import FlowModel
@testable import Ingest
import Testing

/// NetFlow v9/IPFIX input built to hurt: 64-bit fields that overflow time and rate arithmetic, and floods
/// of templates, exporters and samplers that must not grow the decoder's state without bound.
@Suite("Flow export decoder: hostile input")
struct FlowExportHostileTests {
    /// An IPFIX message with one template (`fields`, id 256) and one data record for it.
    static func ipfix(fields: [(UInt16, UInt16)], record: (inout Bytes) -> Void, domain: UInt32 = 42) -> [UInt8] {
        var data = Bytes()
        record(&data)
        return ExportFixtures.ipfix(domain: domain, sets: [ExportFixtures.set(2, ExportFixtures.templateRecord(256, fields)),
                                                           ExportFixtures.set(256, data.data)])
    }

    static func decode(_ datagrams: [[UInt8]], limits: FlowExportLimits = FlowExportLimits()) -> (FlowBatch, FlowExportDecoder) {
        FlowExportDecoderTests.decode(datagrams, limits: limits)
    }

    /// `interval + space` of IPFIX 305/306 used to trap when the sum passed 2^64; it saturates now.
    @Test("a sampling packet space near 2^64 saturates the rate instead of trapping")
    func samplingSpaceOverflow() {
        let datagram = Self.ipfix(fields: [(8, 4), (12, 4), (2, 8), (305, 8), (306, 8)]) { b in
            b.u32(0x0A00_0001); b.u32(0x0A00_0002); b.u64(3); b.u64(2); b.u64(.max)
        }
        let (batch, decoder) = Self.decode([datagram])
        #expect(batch.count == 1 && decoder.counters.malformedRecords == 0)
        #expect(batch[0].packetsOut == 3 &* (UInt64.max / 2))  // counts wrap like the other sampled products

        // The same fields in an options record (a sampler's defaults) go through the same arithmetic.
        var options = Bytes()
        options.u16(400); options.u16(3); options.u16(1)
        options.u16(149); options.u16(4); options.u16(305); options.u16(8); options.u16(306); options.u16(8)
        var optionData = Bytes()
        optionData.u32(42); optionData.u64(4); optionData.u64(.max - 1)
        let (_, optionsDecoder) = Self.decode([ExportFixtures.ipfix(sets: [ExportFixtures.set(3, options.data),
                                                                            ExportFixtures.set(400, optionData.data)])])
        #expect(optionsDecoder.counters.otherRecords == 1)
    }

    /// `duration * 10^6` used to trap for a 64-bit flowDurationMilliseconds; the product saturates now, and
    /// so does the end time computed from it.
    @Test("a 64-bit flow duration saturates instead of trapping", arguments: [Int64.max, 1 << 62, 1 << 44])
    func durationOverflow(duration: Int64) {
        let fromStart = Self.ipfix(fields: [(8, 4), (12, 4), (152, 8), (161, 8)]) { b in
            b.u32(0x0A00_0001); b.u32(0x0A00_0002); b.u64(1_700_000_000_000); b.u64(UInt64(bitPattern: duration))
        }
        let fromEnd = Self.ipfix(fields: [(8, 4), (12, 4), (153, 8), (161, 8)]) { b in
            b.u32(0x0A00_0001); b.u32(0x0A00_0002); b.u64(1_700_000_000_000); b.u64(UInt64(bitPattern: duration))
        }
        let (batch, _) = Self.decode([fromStart, fromEnd])
        #expect(batch.count == 2)
        let known: Int64 = 1_700_000_000_000 * 1_000_000
        #expect(batch[0].firstSeen == known && batch[0].lastSeen == .max)
        #expect(batch[1].firstSeen == known - .max && batch[1].lastSeen == known)
    }

    /// `(systemInitTimeMilliseconds + uptime) * 10^6` used to trap for an init time near 2^63.
    @Test("a 64-bit system init time saturates uptime-relative times")
    func systemInitOverflow() {
        let datagram = Self.ipfix(fields: [(8, 4), (12, 4), (22, 4), (21, 4), (160, 8)]) { b in
            b.u32(0x0A00_0001); b.u32(0x0A00_0002); b.u32(1000); b.u32(2000); b.u64(UInt64(Int64.max))
        }
        let (batch, _) = Self.decode([datagram])
        #expect(batch.count == 1)
        #expect(batch[0].firstSeen == .max && batch[0].lastSeen == .max)
    }

    /// A v9 datagram of `count` minimal templates (one field each) with ids from `firstID`.
    static func templateFlood(count: Int, firstID: Int, sourceID: UInt32) -> [UInt8] {
        var body: [UInt8] = []
        for index in 0..<count { body += ExportFixtures.templateRecord(UInt16(firstID + index), [(8, 4)]) }
        return ExportFixtures.v9(sourceID: sourceID, sets: [ExportFixtures.set(0, body)])
    }

    @Test("a flood of distinct template ids and exporters keeps the cache at its limit and counts the evictions")
    func templateFlood() {
        let datagrams = (0..<20).map { Self.templateFlood(count: 1000, firstID: 256 + 1000 * ($0 % 3), sourceID: UInt32($0)) }
        let (_, decoder) = Self.decode(datagrams, limits: FlowExportLimits(maximumTemplates: 64))
        #expect(decoder.counters.templates == 20_000)
        #expect(decoder.cache.templates.count == 64)
        #expect(decoder.counters.templatesRemoved == 20_000 - 64)
        #expect(decoder.cache.queueLength <= 2 * 64 + 64 + 1)
        #expect(decoder.counters.malformedContainers == 0)
    }

    @Test("refreshing one template forever does not grow the eviction queue")
    func refreshQueue() {
        let refresh = Self.templateFlood(count: 1, firstID: 256, sourceID: 1)
        let (_, decoder) = Self.decode(Array(repeating: refresh, count: 5000))
        #expect(decoder.cache.templates.count == 1 && decoder.counters.templates == 5000)
        #expect(decoder.cache.queueLength <= 2 + 64 + 1)
    }

    @Test("eviction takes the least recently refreshed template")
    func evictionOrder() {
        let a = Self.templateFlood(count: 1, firstID: 300, sourceID: 1)
        let b = Self.templateFlood(count: 1, firstID: 301, sourceID: 1)
        let c = Self.templateFlood(count: 1, firstID: 302, sourceID: 1)
        let (_, decoder) = Self.decode([a, b, a, c], limits: FlowExportLimits(maximumTemplates: 2))
        let ids = Set(decoder.cache.templates.keys.map(\.id))
        #expect(ids == [300, 302])
        #expect(decoder.counters.templatesRemoved == 1)
    }

    @Test("an IPFIX withdraw-all removes only its scope's templates of its kind")
    func withdrawAllScope() {
        let mine = ExportFixtures.ipfix(domain: 1, sets: [ExportFixtures.set(2, ExportFixtures.templateRecord(256, [(8, 4)])
                                                                            + ExportFixtures.templateRecord(257, [(8, 4)]))])
        let other = ExportFixtures.ipfix(domain: 2, sets: [ExportFixtures.set(2, ExportFixtures.templateRecord(256, [(8, 4)]))])
        var withdrawAll = Bytes()
        withdrawAll.u16(2); withdrawAll.u16(0)
        let optionsWithdrawAll = ExportFixtures.ipfix(domain: 1, sets: [ExportFixtures.set(3, [0, 3, 0, 0])])
        let dataWithdrawAll = ExportFixtures.ipfix(domain: 1, sets: [ExportFixtures.set(2, withdrawAll.data)])
        let (_, decoder) = Self.decode([mine, other, optionsWithdrawAll, dataWithdrawAll, dataWithdrawAll])
        #expect(decoder.counters.templatesRemoved == 2)
        #expect(decoder.cache.templates.keys.map(\.scope.domain) == [2])
    }

    @Test("a template with more fields than the limit is ignored and counted")
    func templateFieldLimit() {
        let fields = Array(repeating: (UInt16(8), UInt16(4)), count: 600)
        let long = ExportFixtures.v9(sets: [ExportFixtures.set(0, ExportFixtures.templateRecord(256, fields))])
        let (_, decoder) = Self.decode([long], limits: FlowExportLimits(maximumTemplateFields: 512))
        #expect(decoder.counters.malformedContainers == 1 && decoder.counters.templates == 0)
        #expect(decoder.cache.templates.isEmpty)
        let (_, accepting) = Self.decode([long], limits: FlowExportLimits(maximumTemplateFields: 600))
        #expect(accepting.counters.templates == 1)
    }

    @Test("held data sets are bounded by bytes as well as count")
    func pendingBytes() {
        let big = ExportFixtures.v9(sets: [ExportFixtures.set(256, [UInt8](repeating: 7, count: 4000))])
        let (_, decoder) = Self.decode(Array(repeating: big, count: 50),
                                       limits: FlowExportLimits(maximumPendingBytes: 20_000))
        #expect(decoder.counters.heldDataSets == 50)
        // Each set holds 4 000 record bytes: five fit in 20 000.
        #expect(decoder.counters.droppedDataSets == 50)  // finish() dropped the last five too
        let (_, open) = FlowExportDecoderTests.decode(Array(repeating: big, count: 50),
                                                      limits: FlowExportLimits(maximumPendingBytes: 20_000), finish: false)
        #expect(open.cache.pending.count == 5 && open.cache.pendingBytes == 20_000)
        #expect(open.counters.droppedDataSets == 45)
    }

    /// An IPFIX message from observation domain `domain` with an options record declaring sampler `sampler`.
    static func samplerOptions(domain: UInt32, sampler: UInt16) -> [UInt8] {
        var options = Bytes()
        options.u16(400); options.u16(3); options.u16(1)
        options.u16(149); options.u16(4); options.u16(48); options.u16(2); options.u16(34); options.u16(4)
        var data = Bytes()
        data.u32(domain); data.u16(sampler); data.u32(10)
        return ExportFixtures.ipfix(domain: domain, sets: [ExportFixtures.set(3, options.data), ExportFixtures.set(400, data.data)])
    }

    @Test("options from a flood of exporter scopes and sampler ids are bounded and counted")
    func exporterAndSamplerFlood() {
        let limits = FlowExportLimits(maximumTemplates: 8, maximumExporters: 16, maximumSamplersPerExporter: 8)
        let scopes = (0..<500).map { Self.samplerOptions(domain: UInt32($0), sampler: 1) }
        let (_, decoder) = Self.decode(scopes, limits: limits)
        #expect(decoder.exporters.count == 16)
        #expect(decoder.counters.droppedOptions == 500 - 16)
        #expect(decoder.counters.otherRecords == 500)

        let samplers = (0..<300).map { Self.samplerOptions(domain: 7, sampler: UInt16($0)) }
        let (_, one) = Self.decode(samplers, limits: limits)
        #expect(one.exporters.count == 1 && one.exporters.first?.value.samplers.count == 8)
        #expect(one.counters.droppedOptions == 300 - 8)
    }
}
