import FlowModel
import Foundation
@testable import Ingest
import Testing

/// NetFlow v5, v9 and IPFIX decoding on hand-built datagrams.
@Suite("Flow export decoder")
struct FlowExportDecoderTests {
    static func decode(_ datagrams: [[UInt8]], exporter: IPAddress = IPAddress(v4: 0x7F00_0001),
                       limits: FlowExportLimits = FlowExportLimits(), finish: Bool = true) -> (FlowBatch, FlowExportDecoder) {
        let decoder = FlowExportDecoder(limits: limits)
        var batch = FlowBatch()
        for d in datagrams { d.withUnsafeBytes { decoder.decode($0, exporter: exporter, into: &batch) } }
        if finish { decoder.finish() }
        return (batch, decoder)
    }

    static let exportNs = Int64(ExportFixtures.exportSeconds) * 1_000_000_000

    @Test("v5: fields, sysUptime-relative times, header sampling")
    func v5() throws {
        let (batch, decoder) = Self.decode([ExportFixtures.v5(count: 2)])
        #expect(batch.count == 2)
        let flow = batch[1]
        #expect(flow.src == IPAddress("10.0.0.1") && flow.dst == IPAddress("10.0.0.2"))
        #expect(flow.srcPort == 1001 && flow.dstPort == 80 && flow.proto == 6)
        #expect(flow.packetsOut == 3 && flow.bytesOut == 300 && flow.tcpFlagsOut == 0x1B)
        // export 1 700 000 000.5 s at uptime 10 s: first at uptime 4 s is 6 s earlier.
        #expect(flow.firstSeen == Self.exportNs + 500_000_000 - 6_000_000_000)
        #expect(flow.lastSeen == Self.exportNs + 500_000_000 - 1_000_000_000)
        #expect(decoder.formatName == "netflow-v5")
        let (sampled, _) = Self.decode([ExportFixtures.v5(count: 1, sampling: 0x4000 | 100)])
        #expect(sampled[0].packetsOut == 300 && sampled[0].bytesOut == 30_000)
    }

    @Test("v9: template then data; a data set before its template is held, then decoded")
    func v9HeldThenReleased() throws {
        let template = ExportFixtures.set(0, ExportFixtures.templateRecord(256, ExportFixtures.v9Fields))
        let data = ExportFixtures.set(256, ExportFixtures.v9Record(srcPort: 50_000) + ExportFixtures.v9Record(srcPort: 50_001))
        let (batch, decoder) = Self.decode([ExportFixtures.v9(sets: [data]), ExportFixtures.v9(sets: [template, data])])
        #expect(batch.count == 4)
        let c = decoder.counters
        #expect(c.heldDataSets == 1 && c.releasedDataSets == 1 && c.droppedDataSets == 0 && c.flows == 4)
        #expect(c.templates == 1)
        let flow = batch[0]
        #expect(flow.src == IPAddress("192.168.0.1") && flow.dstPort == 443 && flow.packetsOut == 5 && flow.bytesOut == 500)
        #expect(flow.firstSeen == Self.exportNs - 6_000_000_000 && flow.lastSeen == Self.exportNs - 1_000_000_000)
    }

    @Test("v9: a data set whose template never comes is dropped at the end; another scope's template does not apply")
    func v9Dropped() throws {
        let template = ExportFixtures.set(0, ExportFixtures.templateRecord(256, ExportFixtures.v9Fields))
        let data = ExportFixtures.set(256, ExportFixtures.v9Record(srcPort: 1))
        let (batch, decoder) = Self.decode([ExportFixtures.v9(sourceID: 1, sets: [template]),
                                            ExportFixtures.v9(sourceID: 2, sets: [data])])
        #expect(batch.isEmpty)
        #expect(decoder.counters.heldDataSets == 1 && decoder.counters.droppedDataSets == 1)
    }

    @Test("held data sets are bounded by count")
    func pendingBound() throws {
        let data = ExportFixtures.set(256, ExportFixtures.v9Record(srcPort: 1))
        let datagrams = Array(repeating: ExportFixtures.v9(sets: [data]), count: 10)
        let (_, decoder) = Self.decode(datagrams, limits: FlowExportLimits(maximumPendingSets: 4), finish: false)
        #expect(decoder.counters.heldDataSets == 10 && decoder.counters.droppedDataSets == 6)
        decoder.finish()
        #expect(decoder.counters.droppedDataSets == 10)
    }

    @Test("v9 IPv6 records")
    func v9IPv6() throws {
        var record = Bytes()
        record.ipv6("2001:db8::1"); record.ipv6("2001:db8::2"); record.u16(40_000); record.u16(22); record.u8(6)
        record.u64(9000); record.u64(12); record.u32(4000); record.u32(9000)
        let datagram = ExportFixtures.v9(sets: [ExportFixtures.set(0, ExportFixtures.templateRecord(257, ExportFixtures.v9FieldsV6)),
                                                ExportFixtures.set(257, record.data)])
        let (batch, _) = Self.decode([datagram])
        #expect(batch.count == 1)
        #expect(batch[0].src == IPAddress("2001:db8::1") && batch[0].dst == IPAddress("2001:db8::2"))
        #expect(batch[0].bytesOut == 9000 && batch[0].packetsOut == 12 && batch[0].dstPort == 22)
    }

    @Test("IPFIX: variable-length and enterprise fields are skipped, reduced-size counters and ms times read",
          arguments: [0, 5, 254, 255, 300])
    func ipfixVariableLength(nameLength: Int) throws {
        let datagram = ExportFixtures.ipfix(sets: [ExportFixtures.ipfixTemplate300(),
                                                   ExportFixtures.set(300, ExportFixtures.ipfixRecord300(nameLength: nameLength)
                                                                        + ExportFixtures.ipfixRecord300(nameLength: 1, octets: 10, packets: 1))])
        let (batch, decoder) = Self.decode([datagram])
        #expect(batch.count == 2)
        #expect(decoder.counters.malformedRecords == 0)
        let flow = batch[0]
        #expect(flow.src == IPAddress("10.1.2.3") && flow.dst == IPAddress("10.1.2.4"))
        #expect(flow.srcPort == 5353 && flow.dstPort == 53 && flow.proto == 17)
        #expect(flow.bytesOut == 1234 && flow.packetsOut == 7)
        #expect(flow.firstSeen == 1_700_000_000_250_000_000 && flow.lastSeen == 1_700_000_001_750_000_000)
        #expect(batch[1].bytesOut == 10 && batch[1].packetsOut == 1)
        #expect(decoder.formatName == "ipfix")
    }

    @Test("IPFIX: an options template declares a sampler; records naming it carry scaled counts")
    func ipfixSampling() throws {
        var options = Bytes()
        options.u16(400); options.u16(3); options.u16(1)  // 3 fields, 1 scope field
        options.u16(149); options.u16(4)                  // scope: observationDomainId
        options.u16(48); options.u16(2)                   // samplerId
        options.u16(34); options.u16(4)                   // samplingInterval
        var optionData = Bytes()
        optionData.u32(42); optionData.u16(7); optionData.u32(50)
        var template = Bytes()
        template.u16(301); template.u16(6)
        for (type, length) in [(8, 4), (12, 4), (1, 8), (2, 8), (48, 2), (152, 8)] as [(UInt16, UInt16)] {
            template.u16(type); template.u16(length)
        }
        var record = Bytes()
        record.u32(0x0A00_0001); record.u32(0x0A00_0002); record.u64(100); record.u64(2); record.u16(7); record.u64(1_700_000_000_000)
        let datagram = ExportFixtures.ipfix(sets: [ExportFixtures.set(3, options.data), ExportFixtures.set(400, optionData.data),
                                                   ExportFixtures.set(2, template.data), ExportFixtures.set(301, record.data)])
        let (batch, decoder) = Self.decode([datagram])
        #expect(batch.count == 1)
        #expect(batch[0].packetsOut == 100 && batch[0].bytesOut == 5000)
        #expect(decoder.counters.otherRecords == 1)
        #expect(decoder.counters.packets == 100)
    }

    @Test("IPFIX: a withdrawn template no longer decodes; its data sets are held, then dropped")
    func ipfixWithdrawal() throws {
        let data = ExportFixtures.set(300, ExportFixtures.ipfixRecord300(nameLength: 2))
        var withdrawal = Bytes()
        withdrawal.u16(300); withdrawal.u16(0)
        let (batch, decoder) = Self.decode([
            ExportFixtures.ipfix(sets: [ExportFixtures.ipfixTemplate300(), data]),
            ExportFixtures.ipfix(sets: [ExportFixtures.set(2, withdrawal.data)]),
            ExportFixtures.ipfix(sets: [data]),
        ])
        #expect(batch.count == 1)
        #expect(decoder.counters.templatesRemoved == 1)
        #expect(decoder.counters.heldDataSets == 1 && decoder.counters.droppedDataSets == 1)
    }

    @Test("a refreshed template replaces the old one")
    func templateRefresh() throws {
        let small = ExportFixtures.set(0, ExportFixtures.templateRecord(256, [(8, 4), (12, 4), (2, 4), (1, 4)]))
        var record = Bytes()
        record.u32(0x0A00_0001); record.u32(0x0A00_0002); record.u32(9); record.u32(900)
        let full = ExportFixtures.set(0, ExportFixtures.templateRecord(256, ExportFixtures.v9Fields))
        let (batch, _) = Self.decode([
            ExportFixtures.v9(sets: [small, ExportFixtures.set(256, record.data)]),
            ExportFixtures.v9(sets: [full, ExportFixtures.set(256, ExportFixtures.v9Record(srcPort: 5))]),
        ])
        #expect(batch.count == 2)
        #expect(batch[0].packetsOut == 9 && batch[0].bytesOut == 900)
        #expect(batch[1].srcPort == 5 && batch[1].packetsOut == 5)
    }

    static let fixtures: [(String, [UInt8])] = [
        ("v5", ExportFixtures.v5(count: 3)),
        ("v9", ExportFixtures.v9(sets: [ExportFixtures.set(0, ExportFixtures.templateRecord(256, ExportFixtures.v9Fields)),
                                       ExportFixtures.set(256, ExportFixtures.v9Record(srcPort: 1) + ExportFixtures.v9Record(srcPort: 2))])),
        ("ipfix", ExportFixtures.ipfix(sets: [ExportFixtures.ipfixTemplate300(),
                                              ExportFixtures.set(300, ExportFixtures.ipfixRecord300(nameLength: 300)
                                                                   + ExportFixtures.ipfixRecord300(nameLength: 3))])),
    ]

    @Test("every truncation of a datagram decodes without trapping and yields fewer flows",
          arguments: fixtures.map(\.0))
    func truncations(name: String) throws {
        let full = try #require(Self.fixtures.first { $0.0 == name }).1
        let (whole, _) = Self.decode([full])
        for length in 0..<full.count {
            let (batch, decoder) = Self.decode([Array(full[..<length])])
            #expect(batch.count < whole.count, "\(name) cut at \(length)")
            let c = decoder.counters
            #expect(c.flows == UInt64(batch.count))
            if name == "ipfix" && length >= 16 { #expect(c.malformedContainers == 1, "IPFIX length mismatch at \(length)") }
        }
    }

    @Test("non-export payloads count as malformed datagrams")
    func garbage() throws {
        let (batch, decoder) = Self.decode([[0, 7, 1, 2, 3, 4, 5, 6], [], [0, 5]])
        #expect(batch.isEmpty)
        #expect(decoder.counters.malformedContainers == 3)
    }

    @Test("ICMP records key both ports like the packet path")
    func icmpKey() throws {
        var record = Bytes()
        record.u32(0x0A00_0001); record.u32(0x0A00_0002); record.u16(0); record.u16(0x0000); record.u8(1); record.u8(0)
        record.u32(84); record.u32(1); record.u32(4000); record.u32(9000)  // an echo reply: type 0
        let datagram = ExportFixtures.v9(sets: [ExportFixtures.set(0, ExportFixtures.templateRecord(256, ExportFixtures.v9Fields)),
                                                ExportFixtures.set(256, record.data)])
        let (batch, _) = Self.decode([datagram])
        #expect(batch[0].srcPort == 0 && batch[0].dstPort == 0x0800)
    }
}

extension FlowExportDecoderTests {
    @Test("a held data set is dropped once its hold time (export time) has passed")
    func pendingExpiry() throws {
        let data = ExportFixtures.set(300, ExportFixtures.ipfixRecord300(nameLength: 1))
        let later = ExportFixtures.ipfix(exportSeconds: ExportFixtures.exportSeconds + 120, sets: [ExportFixtures.ipfixTemplate300()])
        let (batch, decoder) = Self.decode([ExportFixtures.ipfix(sets: [data]), later],
                                           limits: FlowExportLimits(pendingSeconds: 60), finish: false)
        #expect(batch.isEmpty)
        #expect(decoder.counters.heldDataSets == 1 && decoder.counters.droppedDataSets == 1)
        #expect(decoder.counters.releasedDataSets == 0)
        let (kept, keptDecoder) = Self.decode([ExportFixtures.ipfix(sets: [data]), later],
                                              limits: FlowExportLimits(pendingSeconds: 600))
        #expect(kept.count == 1 && keptDecoder.counters.releasedDataSets == 1)
    }

    @Test("v9 options template with a sampler: records naming the sampler are scaled")
    func v9Sampling() throws {
        var options = Bytes()
        options.u16(260); options.u16(4); options.u16(8)   // scope 4 bytes, options 8 bytes
        options.u16(1); options.u16(4)                     // scope: system
        options.u16(48); options.u16(1)                    // sampler id
        options.u16(50); options.u16(4)                    // sampler random interval
        var optionData = Bytes()
        optionData.u32(0); optionData.u8(3); optionData.u32(10); optionData.pad(to: 4)
        let fields = ExportFixtures.v9Fields + [(48, 1)]
        let record = ExportFixtures.v9Record(srcPort: 9) + [3]
        let datagram = ExportFixtures.v9(sets: [ExportFixtures.set(1, options.data), ExportFixtures.set(260, optionData.data),
                                                ExportFixtures.set(0, ExportFixtures.templateRecord(256, fields)),
                                                ExportFixtures.set(256, record)])
        let (batch, _) = Self.decode([datagram])
        #expect(batch.count == 1)
        #expect(batch[0].packetsOut == 50 && batch[0].bytesOut == 5000)
    }
}
