import FlowModel
import Testing

@testable import Ingest

/// The decoding loop works out each packet's flow-key hash and orientation as it decodes it
/// (``PacketKeyHashes``): they must be what ``FlowKeyHash`` gives for the decoded columns, with 0 for
/// fragments and the link-layer key protocol for non-IP frames.
@Suite struct DecodedKeyHashTests {
    static let records: [CaptureFixture.Record] = CaptureFixture.sampleRecords(count: 24) + [
        // A first and a later fragment of one UDP datagram.
        CaptureFixture.Record(time: 1_700_000_001_000_000_000, frame: FrameBuilder.ethernet(
            type: 0x0800, FrameBuilder.ipv4(proto: 17, fragment: 0x2000, FrameBuilder.udp(src: 5000, dst: 53, [9]))),
            originalLength: 200),
        CaptureFixture.Record(time: 1_700_000_001_000_100_000, frame: FrameBuilder.ethernet(
            type: 0x0800, FrameBuilder.ipv4(proto: 17, fragment: 0x0010, [1, 2, 3, 4])), originalLength: 60),
    ]

    @Test(arguments: [1, 300, 1 << 20])
    func hashesAreTheFlowKeyHashesOfTheDecodedColumns(targetBytes: Int) throws {
        let path = try CaptureFixture.write(CaptureFixture.pcap(Self.records), name: "keys.pcap")
        let reader = try MappedPcapReader(path: path)
        var decoded = 0, fragments = 0
        while let chunk = try reader.nextChunk(targetBytes: targetBytes) {
            var batch = PacketBatch(), counters = DecodeCounters(), filtered: UInt64 = 0
            var dns: [DNSAnswer]? = nil
            var keys: PacketKeyHashes? = PacketKeyHashes()
            chunk.decode(with: PacketDecoder(linkType: .ethernet), filter: nil, into: &batch, counters: &counters,
                         filteredOut: &filtered, dns: &dns, keys: &keys)
            let hashed = try #require(keys)
            #expect(hashed.hashes.count == batch.count && hashed.srcFirst.count == batch.count)
            #expect(hashed.earliest == batch.timestamp.min() && hashed.latest == batch.timestamp.max())
            for i in 0..<batch.count {
                let flags = PacketBatch.Flags(rawValue: batch.flags[i])
                if flags.contains(.fragment) {
                    #expect(hashed.hashes[i] == 0 && !hashed.srcFirst[i])
                    fragments += 1
                    continue
                }
                let expected = FlowKeyHash.packet(
                    src: IPAddress(high: batch.srcHigh[i], low: batch.srcLow[i]), srcPort: batch.srcPort[i],
                    dst: IPAddress(high: batch.dstHigh[i], low: batch.dstLow[i]), dstPort: batch.dstPort[i],
                    proto: flags.contains(.link) ? 0x100 : UInt16(batch.proto[i]))
                #expect(hashed.hashes[i] == expected.hash && hashed.srcFirst[i] == expected.srcFirst)
                #expect(hashed.hashes[i] > 1)
            }
            decoded += batch.count
            // A batch that already holds packets is appended to through a stage: no keys then.
            var more = batch
            var again: PacketKeyHashes? = PacketKeyHashes()
            chunk.decode(with: PacketDecoder(linkType: .ethernet), filter: nil, into: &more, counters: &counters,
                         filteredOut: &filtered, dns: &dns, keys: &again)
            #expect(again == nil && more.count == 2 * batch.count)
        }
        #expect(decoded == Self.records.count && fragments == 2)
    }
}
