import FlowModel
import Foundation
import Ingest
import Testing

/// The real nfdump 1.7.1 files in `../shared/captures/flows` (see its README for the reference totals,
/// which are `nfdump -r FILE -I`'s).
@Suite("nfdump fixtures")
struct NfdumpFixturesTests {
    static let v9Files = ["conv_v9_none.nfcapd", "conv_v9_lzo.nfcapd", "conv_v9_lz4.nfcapd", "conv_v9_bz2.nfcapd"]

    @Test("softflowd v9 → nfcapd, every compression: 19 flows, 141 packets, 611 564 bytes",
          .enabled(if: SharedCaptures.exists("flows/conv_v9_none.nfcapd")), arguments: v9Files)
    func v9Totals(name: String) throws {
        let file = try NfdumpFile(path: SharedCaptures.directory.appendingPathComponent("flows/\(name)").path)
        let (flows, counters) = file.decodeAll()
        #expect(counters.flows == 19)
        #expect(counters.packets == 141)
        #expect(counters.bytes == 611_564)
        #expect(counters.malformedRecords == 0 && counters.corruptBlocks == 0)
        #expect(file.warnings.isEmpty)
        #expect(flows.count == 19)
        #expect(flows.records.reduce(0) { $0 + $1.packets } == 141)
        let stats = try #require(file.statistics)
        #expect(stats.flows == 19 && stats.packets == 141 && stats.bytes == 611_564)
        let expected: NfdumpCompression = switch name {
        case "conv_v9_lzo.nfcapd": .lzo
        case "conv_v9_lz4.nfcapd": .lz4
        case "conv_v9_bz2.nfcapd": .bz2
        default: .none
        }
        #expect(file.header.compression == expected)
    }

    @Test("nfpcapd, uncompressed: 40 flows, 141 packets, 611 564 bytes",
          .enabled(if: SharedCaptures.exists("flows/conv_pcapd_none.nfcapd")))
    func pcapdTotals() throws {
        let file = try NfdumpFile(path: SharedCaptures.directory.appendingPathComponent("flows/conv_pcapd_none.nfcapd").path)
        let (flows, counters) = file.decodeAll()
        #expect(counters.flows == 40 && counters.packets == 141 && counters.bytes == 611_564)
        #expect(flows.count == 40)
        // ICMP flows carry their key in the destination port, source port 0, as on the packet path;
        // replies are folded onto echo requests (type 8).
        for flow in flows.records where flow.proto == 1 {
            #expect(flow.srcPort == 0 && [0x0800, 0x0303].contains(flow.dstPort))
        }
        // Times are epoch ns in November 2026, first ≤ last.
        for flow in flows.records {
            #expect(flow.firstSeen <= flow.lastSeen)
            #expect(flow.firstSeen > 1_790_000_000_000_000_000)
        }
    }
}

extension NfdumpFixturesTests {
    @Test("the appendix statistics time range covers the records (used to order files)",
          .enabled(if: SharedCaptures.exists("flows/conv_v9_none.nfcapd")), arguments: v9Files + ["conv_pcapd_none.nfcapd"])
    func statisticsTimes(name: String) throws {
        let file = try NfdumpFile(path: SharedCaptures.directory.appendingPathComponent("flows/\(name)").path)
        let stats = try #require(file.statistics)
        let (flows, _) = file.decodeAll()
        let first = try #require(flows.firstSeen.min()), last = try #require(flows.lastSeen.max())
        #expect(Int64(stats.firstSeenMs) * 1_000_000 <= first + 1_000_000_000)
        #expect(Int64(stats.lastSeenMs) * 1_000_000 >= last - 1_000_000_000)
        #expect(abs(Int64(stats.firstSeenMs) * 1_000_000 - first) < 60_000_000_000)
    }
}
