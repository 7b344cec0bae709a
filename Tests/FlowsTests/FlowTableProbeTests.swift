import CPrefetch
import FlowModel
import Testing

@testable import Flows

/// The flow table's probe, 16 control bytes per step: the SSE2 match against a byte-by-byte model, and
/// tables so small and full that probe runs cross the table's end (where it steps byte by byte) and run
/// through deleted slots.
@Suite struct FlowTableProbeTests {
    /// Every bit of ``medflow_control_group16`` at every offset of random control bytes (empty, deleted,
    /// the tag, other tags) equals the byte-by-byte comparison.
    @Test func controlGroupMatchesEachByte() {
        var generator = SplitMix(seed: 3)
        let tag: UInt8 = 0x80 | 0x35
        var bytes = [UInt8](repeating: 0, count: 64)
        for _ in 0..<2_000 {
            for i in bytes.indices {
                switch generator.next() % 4 {
                case 0: bytes[i] = 0
                case 1: bytes[i] = 1
                case 2: bytes[i] = tag
                default: bytes[i] = 0x80 | UInt8(truncatingIfNeeded: generator.next() % 128)
                }
            }
            let offset = Int(generator.next() % 48)
            let bits = bytes.withUnsafeBufferPointer { medflow_control_group16($0.baseAddress! + offset, tag) }
            var expected: UInt64 = 0
            for i in 0..<16 {
                let byte = bytes[offset + i]
                if byte == tag { expected |= 1 << UInt64(i) }
                if byte == 0 { expected |= 1 << UInt64(16 + i) }
                if byte == 1 { expected |= 1 << UInt64(32 + i) }
            }
            #expect(bits == expected)
        }
    }

    /// Random UDP 5-tuples, `count` of them.
    private func tuples(_ count: Int, _ generator: inout SplitMix) -> [(IPAddress, IPAddress, UInt16)] {
        (0..<count).map { _ in
            (IPAddress(v4: 0x0A00_0000 | UInt32(truncatingIfNeeded: generator.next() % 65_536)),
             IPAddress(v4: 0xC000_0200 | UInt32(truncatingIfNeeded: generator.next() % 256)),
             UInt16(truncatingIfNeeded: 1024 + generator.next() % 60_000))
        }
    }

    /// Fourteen flows (the most a 16-slot table holds before it is rebuilt), each a query and its reply,
    /// which must find the query's slot; then, after the flows are ended (every slot they held deleted),
    /// fourteen other flows probing through (and mostly reusing) those deleted slots, twice: each round's
    /// flows come out whole. Home slots are
    /// random, so runs start at slot 0 (the one 16-byte step inside the table) and elsewhere (byte steps
    /// across the end).
    @Test(arguments: 0..<40)
    func fullSixteenSlotTablesFindEveryFlow(seed: Int) {
        var generator = SplitMix(seed: UInt64(seed) &+ 100)
        let table = FlowTable(configuration: FlowConfiguration(), initialCapacity: 16)
        var time: Int64 = 0
        for round in 0..<3 {
            let keys = tuples(14, &generator)
            for (client, server, port) in keys {
                for (src, dst, srcPort, dstPort) in [(client, server, port, UInt16(53)), (server, client, UInt16(53), port)] {
                    time += 1_000
                    table.add(timestamp: time, srcHigh: src.high, srcLow: src.low, dstHigh: dst.high, dstLow: dst.low,
                              srcPort: srcPort, dstPort: dstPort, proto: UInt16(TransportProtocol.udp), tcpFlags: 0,
                              length: 80)
                }
            }
            // Later rounds may grow the table: a new flow takes a deleted slot only when its probe meets one
            // before an empty slot, and the empty slots it takes count towards the rebuild.
            if round == 0 { #expect(table.slots.capacity == 16) }
            let before = table.finished.count
            table.advance(to: time)
            table.finish()
            let records = table.finished.records[before...]
            #expect(records.count == keys.count, "round \(round)")
            #expect(records.allSatisfy { $0.packetsOut == 1 && $0.packetsIn == 1 && $0.dstPort == 53 }, "round \(round)")
            #expect(Set(records.map { "\($0.src) \($0.srcPort)" }) == Set(keys.map { "\($0.0) \($0.2)" }), "round \(round)")
        }
    }
}
