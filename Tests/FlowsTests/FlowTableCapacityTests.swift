import FlowModel
import Testing

@testable import Flows

/// The flow table against a dictionary model, and `--max-flows` eviction.
@Suite struct FlowTableCapacityTests {
    /// Random UDP packets over `keys` 5-tuples, one second apart at most so no flow times out.
    private func randomPackets(count: Int, keys: Int, seed: UInt64) -> (PacketBatch, [String: UInt64]) {
        var generator = SplitMix(seed: seed)
        var batch = PacketBatch()
        var model: [String: UInt64] = [:]
        let tuples = (0..<keys).map { _ in
            (IPAddress(v4: 0x0A00_0000 | UInt32(truncatingIfNeeded: generator.next() % 4096)),
             IPAddress(v4: 0xC000_0200 | UInt32(truncatingIfNeeded: generator.next() % 64)),
             UInt16(truncatingIfNeeded: generator.next() % 60000 + 1024), UInt16(truncatingIfNeeded: generator.next() % 4 + 50))
        }
        for i in 0..<count {
            let (a, b, sport, dport) = tuples[Int(generator.next() % UInt64(keys))]
            let reply = generator.next() % 3 == 0
            let (src, dst, sp, dp) = reply ? (b, a, dport, sport) : (a, b, sport, dport)
            batch.append(timestamp: Int64(i) * 1_000_000, src: src, dst: dst, srcPort: sp, dstPort: dp,
                         proto: TransportProtocol.udp, wireLength: 100)
            model[Self.key(a, sport, b, dport), default: 0] += 1
        }
        return (batch, model)
    }

    /// A direction-free key: the initiator depends on which direction's packet came first.
    private static func key(_ a: IPAddress, _ aPort: UInt16, _ b: IPAddress, _ bPort: UInt16) -> String {
        let ends = ["\(a) \(aPort)", "\(b) \(bPort)"].sorted()
        return ends.joined(separator: " ")
    }

    @Test(arguments: [1, 2])
    func everyPacketLandsInItsFlowAcrossTableGrowth(shards: Int) {
        let (batch, model) = randomPackets(count: 30_000, keys: 5_000, seed: 7)
        let assembler = FlowAssembler(configuration: FlowConfiguration(maximumFlows: 0), shards: shards)
        var flows = assembler.add([batch], shardIndices: [assembler.shardIndices(for: batch)])
        flows.append(contentsOf: assembler.finish())
        var found: [String: UInt64] = [:]
        for flow in flows.records {
            found[Self.key(flow.src, flow.srcPort, flow.dst, flow.dstPort), default: 0] += flow.packets
        }
        #expect(flows.count == model.count)
        let mismatched = model.filter { found[$0.key] != $0.value }.count
        #expect(mismatched == 0 && found.count == model.count)
        #expect(assembler.evictedFlows == 0)
    }

    /// The end-of-input export split into pieces (each counting its slots, then writing at its own
    /// offset of one set of columns) gives exactly the flows, in the same order, as one piece does; the
    /// 5 000 flows fill a table of 8 192 slots, so up to two pieces run.
    @Test(arguments: [2, 4])
    func finishingInPiecesEqualsFinishingWhole(parallelism: Int) {
        let (batch, _) = randomPackets(count: 30_000, keys: 5_000, seed: 5)
        func finished(_ parallelism: Int) -> [FlowRecord] {
            let assembler = FlowAssembler(configuration: FlowConfiguration(maximumFlows: 0), shards: 1)
            assembler.ordersByFirstSeen = false  // slot order, as the pieces leave it
            let early = assembler.add([batch], shardIndices: [assembler.shardIndices(for: batch)])
            #expect(early.isEmpty)
            return assembler.finish(parallelism: parallelism).records
        }
        let whole = finished(1)
        #expect(whole.count > 4_000)
        #expect(finished(parallelism) == whole)
    }

    /// The end-of-input flush a block of slots at a time gives the flows of one flush, in the same order
    /// (slot order, shard after shard), whatever the block size; with first-seen order it is one block.
    @Test(arguments: [(1, 1 << 9), (1, 1 << 12), (1, 1 << 20), (3, 1 << 10)])
    func finishingInBlocksEqualsFinishingWhole(shards: Int, blockSlots: Int) {
        let (batch, _) = randomPackets(count: 30_000, keys: 5_000, seed: 7)
        func assembler(ordered: Bool) -> FlowAssembler {
            let assembler = FlowAssembler(configuration: FlowConfiguration(maximumFlows: 0), shards: shards)
            assembler.ordersByFirstSeen = ordered
            #expect(assembler.add([batch], shardIndices: [assembler.shardIndices(for: batch)]).isEmpty)
            return assembler
        }
        for ordered in [false, true] {
            let whole = assembler(ordered: ordered).finish(parallelism: 2).records
            #expect(whole.count > 4_000)
            let blocked = assembler(ordered: ordered)
            var blocks: [FlowBatch] = []
            blocked.finish(parallelism: 2, blockSlots: blockSlots) { blocks.append($0) }
            #expect(blocks.allSatisfy { !$0.isEmpty })
            #expect(blocks.flatMap(\.records) == whole)
            #expect(blocked.openFlows == 0)
            if ordered { #expect(blocks.count == 1) } else if blockSlots <= 1 << 10 { #expect(blocks.count > 1) }
        }
    }

    /// A flush of a table past 2 MB (mapped memory, so each exported block's entries really go back to the
    /// system) gives the flows of one flush, and the table still works afterwards: the same packets
    /// added again, to the tombstones and zeroed entries the flush left, end as the same flows.
    @Test func flushingAMappedTableReleasesItAndLeavesItUsable() {
        let (batch, _) = randomPackets(count: 120_000, keys: 60_000, seed: 3)
        /// The flows `assembler` ends while taking `batch`, then at a flush in blocks (or whole).
        func run(_ assembler: FlowAssembler, blocks: Bool) -> [String] {
            var flows = assembler.add([batch], shardIndices: [assembler.shardIndices(for: batch)]).records
            if blocks {
                var parts: [FlowBatch] = []
                assembler.finish(parallelism: 2, blockSlots: 1 << 14) { parts.append($0) }
                #expect(parts.count > 2)
                flows += parts.flatMap(\.records)
            } else {
                flows += assembler.finish(parallelism: 2).records
            }
            return flows.map { "\($0)" }
        }
        func assembler() -> FlowAssembler {
            let assembler = FlowAssembler(configuration: FlowConfiguration(maximumFlows: 0), shards: 1)
            assembler.ordersByFirstSeen = false
            return assembler
        }
        let whole = run(assembler(), blocks: false)
        #expect(whole.count > 40_000)
        let reused = assembler()
        let blocked = run(reused, blocks: true)
        let blockedEqualsWhole = blocked == whole
        #expect(blockedEqualsWhole)
        let again = run(reused, blocks: true)
        let againEqualsWhole = again.sorted() == whole.sorted()
        #expect(againEqualsWhole)
        #expect(reused.openFlows == 0)
    }

    /// Growing in place (``FlowTable/rebuild()`` doubling its slots where they are) keeps every flow
    /// reachable: 40 000 UDP flows in a first second, idle until a sweep leaves them as tombstones, then
    /// 80 000 others two minutes later in four steps, so the table doubles past 2 MB (the `mremap` path)
    /// with tombstones and wrapped probe runs in it, and then a reply for each of the 80 000, which must
    /// find its flow after every doubling. Every key must end as exactly one flow with all its packets.
    @Test(arguments: [1, 2])
    func growingInPlaceKeepsEveryFlowReachable(shards: Int) {
        var generator = SplitMix(seed: 11)
        let replies = (0..<256).map { _ in IPAddress(v4: 0xC000_0200 | UInt32(truncatingIfNeeded: generator.next() % 256)) }
        func client(_ phase: Int, _ k: Int) -> IPAddress { IPAddress(v4: 0x0A00_0000 | UInt32(phase << 20 | k)) }
        func server(_ k: Int) -> IPAddress { replies[k % replies.count] }
        let dport: UInt16 = 53
        func sport(_ k: Int) -> UInt16 { UInt16(1024 + k % 50_000) }
        var steps: [PacketBatch] = []
        var model: [String: UInt64] = [:]
        // Phase 0, then phase 1's queries in four steps (after the first, the sweep has turned phase 0 into
        // tombstones), then phase 1's replies.
        for (phase, range) in [(0, 0..<40_000), (1, 0..<20_000), (1, 20_000..<40_000), (1, 40_000..<60_000),
                               (1, 60_000..<80_000)] {
            var batch = PacketBatch()
            for k in range {
                batch.append(timestamp: Int64(phase) * 120_000_000_000 + Int64(k) * 10_000, src: client(phase, k),
                             dst: server(k), srcPort: sport(k), dstPort: dport, proto: TransportProtocol.udp, wireLength: 80)
                model[Self.key(client(phase, k), sport(k), server(k), dport)] = UInt64(phase + 1)
            }
            steps.append(batch)
        }
        var replyBatch = PacketBatch()
        for k in 0..<80_000 {
            replyBatch.append(timestamp: 121_000_000_000 + Int64(k) * 10_000, src: server(k), dst: client(1, k),
                              srcPort: dport, dstPort: sport(k), proto: TransportProtocol.udp, wireLength: 80)
        }
        steps.append(replyBatch)
        let assembler = FlowAssembler(configuration: FlowConfiguration(maximumFlows: 0), shards: shards)
        var flows = FlowBatch()
        for batch in steps {
            flows.append(contentsOf: assembler.add([batch], shardIndices: [assembler.shardIndices(for: batch)]))
        }
        flows.append(contentsOf: assembler.finish())
        var found: [String: UInt64] = [:]
        for flow in flows.records { found[Self.key(flow.src, flow.srcPort, flow.dst, flow.dstPort), default: 0] += flow.packets }
        #expect(flows.count == model.count)
        #expect(found == model)
    }

    @Test func aFullTableEndsItsLeastRecentFlowsAndKeepsEveryPacket() {
        let limit = 64
        let assembler = FlowAssembler(configuration: FlowConfiguration(maximumFlows: limit), shards: 1)
        var records: [FlowRecord] = []
        var peak = 0
        for i in 0..<1_000 {
            var batch = PacketBatch()
            // Flow i gets a packet at second i; flow i - 1 gets a second one, so it stays recent.
            for (flow, t) in [(i, Double(i)), (max(0, i - 1), Double(i) + 0.5)] {
                batch.append(timestamp: Int64(t * 1e9), src: IPAddress(v4: 0x0A00_0000 | UInt32(flow)),
                             dst: IPAddress(v4: 0xC000_0201), srcPort: 40000, dstPort: 53,
                             proto: TransportProtocol.udp, wireLength: 80)
            }
            records += assembler.add([batch], shardIndices: [assembler.shardIndices(for: batch)]).records
            peak = max(peak, assembler.openFlows)
        }
        records += assembler.finish().records
        #expect(peak <= limit)
        #expect(records.reduce(0) { $0 + $1.packets } == 2_000)
        let evicted = records.filter { $0.endReason == .evicted }
        #expect(!evicted.isEmpty)
        #expect(UInt64(evicted.count) == assembler.evictedFlows)
        // The flows still open at the end are the most recent ones.
        let open = records.filter { $0.endReason == .endOfInput }.map { $0.src }
        #expect(open.contains(IPAddress(v4: 0x0A00_0000 | 999)))
        #expect(!open.contains(IPAddress(v4: 0x0A00_0000 | 10)))
    }

    @Test func nthSmallestMatchesSorting() {
        var generator = SplitMix(seed: 3)
        for size in [1, 2, 3, 10, 257] {
            let values = (0..<size).map { _ in Int64(generator.next() % 50) }
            let sorted = values.sorted()
            for k in [0, size / 2, size - 1] {
                var copy = values
                #expect(copy.nthSmallest(k) == sorted[k])
            }
        }
    }
}

/// The 64-byte flow entry: 32-bit packet counts, and the IPv6 halves of keys kept apart.
@Suite struct FlowEntryLayoutTests {
    /// A direction whose packet count reaches the limit (2^32 − 1 in use, 5 here) ends the piece as the
    /// active timeout does; the flow goes on in continuation pieces, and no packet is lost.
    @Test func aFullPacketCountStartsAContinuationPiece() {
        let table = FlowTable(configuration: FlowConfiguration(), piecePacketLimit: 5)
        let a = IPAddress(v4: 0x0A00_0001), b = IPAddress(v4: 0x0A00_0002)
        for i in 0..<12 {
            table.add(timestamp: Int64(i) * 1_000_000, srcHigh: a.high, srcLow: a.low, dstHigh: b.high, dstLow: b.low,
                      srcPort: 40_000, dstPort: 53, proto: UInt16(TransportProtocol.udp), tcpFlags: 0, length: 100)
        }
        table.advance(to: 11_000_000)  // the clock at the last packet (the assembler moves it every step)
        table.finish()
        let records = table.finished.records
        #expect(records.map(\.packetsOut) == [5, 5, 2])
        #expect(records.map(\.endReason) == [.active, .active, .endOfInput])
        #expect(records.map { $0.flags.contains(.continuation) } == [false, true, true])
        #expect(records.allSatisfy { $0.src == a && $0.dst == b && $0.bytesOut == $0.packetsOut * 100 })
    }

    /// IPv6 flows whose addresses differ only in their high halves are different flows, across growth of
    /// the table (the halves move with their entries), and come out with their full addresses.
    @Test func ipv6KeysDifferingInTheirHighHalvesStayApart() {
        let table = FlowTable(configuration: FlowConfiguration(), initialCapacity: 16)
        let server = IPAddress(high: 0x2001_0db8_0000_0001, low: 1)
        var expected: [IPAddress] = []
        for k in 0..<3_000 {
            // The same low half for every client: only the high half tells them apart.
            let client = IPAddress(high: 0x2001_0db8_0000_1000 &+ UInt64(k), low: 7)
            expected.append(client)
            for i in 0..<2 {
                table.add(timestamp: Int64(k * 2 + i) * 1_000, srcHigh: client.high, srcLow: client.low,
                          dstHigh: server.high, dstLow: server.low, srcPort: 50_000, dstPort: 443,
                          proto: UInt16(TransportProtocol.tcp), tcpFlags: i == 0 ? TCPFlags.syn : TCPFlags.ack,
                          length: 60)
            }
        }
        #expect(table.slots.capacity >= 4_096)
        table.advance(to: 6_000_000)
        table.finish()
        let records = table.finished.records
        #expect(records.count == expected.count)
        #expect(Set(records.map(\.src)) == Set(expected))
        #expect(records.allSatisfy { $0.dst == server && $0.packetsOut == 2 && $0.dstPort == 443 })
    }
}
