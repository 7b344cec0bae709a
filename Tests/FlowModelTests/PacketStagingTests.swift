import FlowModel
import Testing

/// ``PacketStaging``: packets staged and flushed, however often, make the batch appending them one by one
/// makes.
@Suite struct PacketStagingTests {
    @Test(arguments: [0, 1, PacketStaging.capacity, PacketStaging.capacity + 1, 3 * PacketStaging.capacity + 17])
    func flushedStagesEqualAppendingOneByOne(count: Int) {
        var direct = PacketBatch()
        var staged = PacketBatch()
        var staging = PacketStaging()
        for i in 0..<count {
            let v = UInt64(i)
            let src = IPAddress(high: v &* 3, low: v &* 5 &+ 1), dst = IPAddress(high: v, low: ~v)
            let flags: PacketBatch.Flags = i % 3 == 0 ? [.fragment] : []
            direct.append(timestamp: Int64(i) * 1000, src: src, dst: dst, srcPort: UInt16(i % 65_536),
                          dstPort: UInt16((i * 7) % 65_536), proto: UInt8(i % 256), flags: flags,
                          tcpFlags: UInt8((i * 3) % 256), wireLength: UInt32(60 + i), fragmentID: UInt32(i * 11))
            if staging.isFull { staging.flush(into: &staged) }
            staging.append(timestamp: Int64(i) * 1000, src: src, dst: dst, srcPort: UInt16(i % 65_536),
                           dstPort: UInt16((i * 7) % 65_536), proto: UInt8(i % 256), flags: flags,
                           tcpFlags: UInt8((i * 3) % 256), wireLength: UInt32(60 + i), fragmentID: UInt32(i * 11))
        }
        staging.flush(into: &staged)
        #expect(staging.count == 0)
        #expect(staged.count == count)
        #expect((0..<count).allSatisfy { staged[$0] == direct[$0] })
    }

    /// A batch filled in place (``PacketBatch/filling(capacity:_:)``) holds exactly the packets staged, however
    /// much of its room they use, and they equal appending one by one.
    @Test(arguments: [(0, 0), (5, 0), (5, 3), (300, 300), (1000, 999)])
    func fillingInPlaceEqualsAppendingOneByOne(capacity: Int, staged count: Int) {
        var direct = PacketBatch()
        let filled = PacketBatch.filling(capacity: capacity) { stage in
            for i in 0..<count {
                let v = UInt64(i)
                let src = IPAddress(high: v &* 3, low: v &* 5 &+ 1), dst = IPAddress(high: v, low: ~v)
                direct.append(timestamp: Int64(i) * 1000, src: src, dst: dst, srcPort: UInt16(i), dstPort: 443,
                              proto: 6, tcpFlags: UInt8(i % 256), wireLength: UInt32(60 + i), fragmentID: UInt32(i))
                stage.append(timestamp: Int64(i) * 1000, src: src, dst: dst, srcPort: UInt16(i), dstPort: 443,
                             proto: 6, tcpFlags: UInt8(i % 256), wireLength: UInt32(60 + i), fragmentID: UInt32(i))
            }
            #expect(stage.isFull == (count == capacity))
        }
        #expect(filled.count == count)
        #expect([filled.srcHigh.count, filled.srcLow.count, filled.dstHigh.count, filled.dstLow.count,
                 filled.srcPort.count, filled.dstPort.count, filled.proto.count, filled.flags.count,
                 filled.tcpFlags.count, filled.wireLength.count, filled.fragmentID.count].allSatisfy { $0 == count })
        #expect((0..<count).allSatisfy { filled[$0] == direct[$0] })
    }
}
