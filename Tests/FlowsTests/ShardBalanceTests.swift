import FlowModel
import Testing

@testable import Flows

/// Flow shards and pairing shards share the work evenly: a shard choice that sends everything to one
/// shard gives the same flows (every other test passes) but runs the largest stages on one core.
@Suite("Shard balance")
struct ShardBalanceTests {
    /// `count` packets or records between distinct random address pairs and ports.
    static func endpoints(_ count: Int) -> [(src: IPAddress, dst: IPAddress, srcPort: UInt16, dstPort: UInt16)] {
        var state: UInt64 = 42
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            return mix64(state)
        }
        return (0..<count).map { _ in
            (IPAddress(v4: UInt32(truncatingIfNeeded: next())), IPAddress(v4: UInt32(truncatingIfNeeded: next())),
             UInt16(truncatingIfNeeded: next()), UInt16(truncatingIfNeeded: next()))
        }
    }

    @Test("every flow shard gets its share of the packets", arguments: [2, 3, 4, 7])
    func flowShards(shards: Int) {
        var batch = PacketBatch()
        for e in Self.endpoints(20_000) {
            batch.append(timestamp: 0, src: e.src, dst: e.dst, srcPort: e.srcPort, dstPort: e.dstPort, proto: 6,
                         wireLength: 60)
        }
        let indices = FlowAssembler(shards: shards).shardIndices(for: batch)
        let counts = (0..<shards).map { shard in indices.count { Int($0) == shard } }
        #expect(counts.reduce(0, +) == batch.count)
        #expect(counts.allSatisfy { abs($0 - batch.count / shards) < batch.count / shards / 10 }, "\(counts)")
    }

    @Test("every pairing shard gets its share of the records", arguments: [2, 3, 4, 7])
    func pairingShards(shards: Int) {
        let records = FlowBatch(Self.endpoints(20_000).map { e in
            FlowRecord(src: e.src, dst: e.dst, srcPort: e.srcPort, dstPort: e.dstPort, proto: 6, firstSeen: 0, lastSeen: 0,
                       packetsOut: 1, bytesOut: 60)
        })
        let counts = (0..<records.count).reduce(into: [Int](repeating: 0, count: shards)) { counts, i in
            counts[Int(PairingShard.shard(of: PairingShard.hash(records, i), among: shards))] += 1
        }
        #expect(counts.allSatisfy { abs($0 - records.count / shards) < records.count / shards / 10 }, "\(counts)")
    }
}
