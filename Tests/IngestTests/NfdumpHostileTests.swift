import FlowModel
import Foundation
import Ingest
import Testing

/// nfdump files and blocks built to hurt: 64-bit offsets, record counts and compressed payloads that
/// promise far more than the file holds.
@Suite("nfdump: hostile input")
struct NfdumpHostileTests {
    /// A file whose appendix offset is `appendixOffset` (the header field is a signed 64-bit value).
    static func file(appendixOffset: Int64) -> [UInt8] {
        var bytes = NfdumpFileBuilder(compression: .none, blocks: [NfdumpFileBuilder.sampleRecords(3)]).build()
        withUnsafeBytes(of: appendixOffset.littleEndian) { bytes.replaceSubrange(24..<32, with: $0) }
        return bytes
    }

    /// `appendixOffset + 12` used to trap for an offset near `Int64.max`; the appendix is ignored now and the
    /// data blocks still read.
    @Test("an appendix offset near Int64.max is ignored, not added to", arguments: [Int64.max, Int64.max - 11, -1, 1 << 40])
    func appendixOffsetOverflow(offset: Int64) throws {
        let path = try NfdumpFileBuilder.write(Self.file(appendixOffset: offset))
        defer { NfdumpFileBuilder.remove(path) }
        let file = try NfdumpFile(path: path)
        #expect(file.statistics == nil && file.ident == nil)
        let (flows, counters) = file.decodeAll()
        #expect(flows.count == 3 && counters.flows == 3)
    }

    /// A block whose payload decompresses to 6 MiB of zeros, one more than nfdump's largest block.
    static func bomb(_ compression: NfdumpCompression) -> [UInt8] {
        NfdumpFileBuilder.compress([UInt8](repeating: 0, count: 6 << 20), compression)
    }

    @Test("a block that decompresses past 5 MiB is corrupt, not allocated for",
          arguments: [NfdumpCompression.lz4, .lzo, .bz2, .zstd])
    func blockBomb(compression: NfdumpCompression) {
        let payload = Self.bomb(compression)
        #expect(payload.count < 300_000, "the bomb is small: \(payload.count) bytes")
        let decoder = NfdumpBlockDecoder(compression: compression)
        var batch = FlowBatch()
        var counters = FlowInputCounters()
        let block = NfdumpRawBlock(offset: 0, recordCount: 1000, type: 3, payload: 0..<payload.count)
        let problem = payload.withUnsafeBytes { decoder.decode(block, in: $0, into: &batch, counters: &counters) }
        #expect(problem != nil)
        #expect(batch.isEmpty && counters.corruptBlocks == 1 && counters.malformedRecords == 1000)
    }

    @Test("a record count of 2^32 - 1 in a tiny block allocates for the block, and counts the rest malformed")
    func recordCountBomb() {
        let payload = [UInt8](repeating: 0, count: 120)
        let decoder = NfdumpBlockDecoder(compression: .none)
        var batch = FlowBatch()
        var counters = FlowInputCounters()
        let block = NfdumpRawBlock(offset: 0, recordCount: .max, type: 3, payload: 0..<payload.count)
        let problem = payload.withUnsafeBytes { decoder.decode(block, in: $0, into: &batch, counters: &counters) }
        #expect(problem == nil && batch.isEmpty)
        #expect(counters.malformedRecords == UInt64(UInt32.max))
    }
}
