import FlowModel
import Foundation
@testable import Ingest
import Testing

/// nfdump files built in the test: every compression (ZSTD included), header and block errors,
/// truncations.
@Suite("nfdump file")
struct NfdumpFileTests {
    static func read(_ bytes: [UInt8]) throws -> (FlowBatch, FlowInputCounters, NfdumpFile) {
        let path = try NfdumpFileBuilder.write(bytes)
        defer { NfdumpFileBuilder.remove(path) }  // the mapping stays valid after the unlink
        let file = try NfdumpFile(path: path)
        let (batch, counters) = file.decodeAll()
        return (batch, counters, file)
    }

    @Test("every compression decodes to the records written", arguments: NfdumpCompression.allCases)
    func compressions(compression: NfdumpCompression) throws {
        let blocks = [NfdumpFileBuilder.sampleRecords(7), NfdumpFileBuilder.sampleRecords(5, base: 100)]
        let bytes = NfdumpFileBuilder(compression: compression, blocks: blocks).build()
        let (batch, counters, file) = try Self.read(bytes)
        #expect(file.header.compression == compression)
        #expect(batch.count == 12 && counters.flows == 12 && counters.malformedRecords == 0)
        #expect(file.warnings.isEmpty)
        let expected = blocks.flatMap { $0 }
        for (flow, record) in zip(batch.records, expected) {
            #expect(flow.src == record.src && flow.dst == record.dst)
            #expect(flow.srcPort == record.srcPort && flow.dstPort == record.dstPort && flow.proto == 6)
            #expect(flow.packetsOut == record.packets && flow.bytesOut == record.bytes)
            #expect(flow.firstSeen == Int64(record.firstMs) * 1_000_000 && flow.lastSeen == Int64(record.lastMs) * 1_000_000)
            #expect(flow.tcpFlagsOut == 0x1B && flow.endReason == .idle)
        }
        let stats = try #require(file.statistics)
        #expect(stats.flows == 12 && stats.packets == counters.packets && stats.bytes == counters.bytes)
        #expect(file.ident == "medflow-test")
    }

    @Test("elements in nfpcapd order ([generic, ipv4]) read the same")
    func elementOrder() throws {
        let record = NfdumpFileBuilder.sampleRecords(1)[0]
        let plain = NfdumpFileBuilder.v3(record, genericFirst: true)
        var batch = FlowBatch()
        var counters = FlowInputCounters()
        plain.withUnsafeBytes { NfdumpRecordDecoder.decodeRecords($0, recordCount: 1, into: &batch, counters: &counters) }
        #expect(batch.count == 1 && batch[0].src == record.src && batch[0].bytesOut == record.bytes)
    }

    @Test("every truncation of a V3 record is counted as malformed, never read")
    func recordTruncations() throws {
        let plain = NfdumpFileBuilder.v3(NfdumpFileBuilder.sampleRecords(1)[0])
        for cut in 4..<plain.count {
            // The record claims `cut` bytes: its elements run past it.
            var bytes = Array(plain[..<cut])
            bytes[2] = UInt8(cut & 0xFF); bytes[3] = UInt8(cut >> 8)
            var batch = FlowBatch()
            var counters = FlowInputCounters()
            bytes.withUnsafeBytes { NfdumpRecordDecoder.decodeRecords($0, recordCount: 1, into: &batch, counters: &counters) }
            #expect(batch.isEmpty, "cut at \(cut)")
            #expect(counters.malformedRecords == 1, "cut at \(cut)")
        }
        for cut in 0..<plain.count {
            // The block ends inside the record: nothing is read past it.
            var batch = FlowBatch()
            var counters = FlowInputCounters()
            Array(plain[..<cut]).withUnsafeBytes {
                NfdumpRecordDecoder.decodeRecords($0, recordCount: 1, into: &batch, counters: &counters)
            }
            #expect(batch.isEmpty && counters.malformedRecords == 1, "block cut at \(cut)")
        }
    }

    @Test("every truncation of a file ends with a warning or an error, never a trap",
          arguments: [NfdumpCompression.none, .lz4])
    func fileTruncations(compression: NfdumpCompression) throws {
        let bytes = NfdumpFileBuilder(compression: compression, blocks: [NfdumpFileBuilder.sampleRecords(3),
                                                                         NfdumpFileBuilder.sampleRecords(2)]).build()
        let path = try NfdumpFileBuilder.write(bytes)
        defer { NfdumpFileBuilder.remove(path) }
        for cut in 0..<bytes.count {
            try Data(bytes[..<cut]).write(to: URL(fileURLWithPath: path))
            do {
                let file = try NfdumpFile(path: path)
                let (batch, _) = file.decodeAll()
                #expect(batch.count <= 5)
                if cut < bytes.count - 12 - 160 { #expect(!file.warnings.isEmpty || batch.count == 5, "cut at \(cut)") }
            } catch {
                #expect(cut < NfdumpFileHeader.size, "cut at \(cut): \(error)")
            }
        }
    }

    @Test("header errors name the offset")
    func headerErrors() throws {
        var bytes = NfdumpFileBuilder(compression: .none, blocks: [NfdumpFileBuilder.sampleRecords(1)]).build()
        #expect(throws: ParseError.truncated(offset: 0, needed: 40, available: 10)) { try Self.read(Array(bytes[..<10])) }
        var version1 = bytes
        version1[2] = 1
        #expect(throws: ParseError.unsupported(offset: 2, what: "nfdump file layout version 1 (medflow reads layout 2, nfdump 1.7)")) {
            try Self.read(version1)
        }
        var compression = bytes
        compression[16] = 9
        #expect(throws: ParseError.unsupported(offset: 16, what: "nfdump compression id 9")) { try Self.read(compression) }
        bytes[0] = 0x00
        #expect(throws: ParseError.self) { try Self.read(bytes) }
        #expect(ParseError.unsupported(offset: 16, what: "nfdump compression id 9").description
                == "unsupported nfdump compression id 9 at byte 16")
    }

    @Test("a corrupt block is counted and skipped; the next block still reads", arguments: [NfdumpCompression.lz4, .zstd, .lzo, .bz2])
    func corruptBlock(compression: NfdumpCompression) throws {
        var bytes = NfdumpFileBuilder(compression: compression, blocks: [NfdumpFileBuilder.sampleRecords(3),
                                                                         NfdumpFileBuilder.sampleRecords(2)]).build()
        // Garble the first block's payload (after its 12-byte header).
        for i in 52..<min(70, bytes.count) { bytes[i] ^= 0xA5 }
        let (batch, counters, file) = try Self.read(bytes)
        #expect(counters.corruptBlocks == 1 || batch.count == 5)  // a codec may still decode garbage bytes
        #expect(batch.count >= 2)
        if counters.corruptBlocks == 1 { #expect(file.warnings.count == 1) }
    }

    @Test("an impossible block size is counted as corrupt; a block past the end is a truncation warning")
    func blockHeaderErrors() throws {
        let good = NfdumpFileBuilder.block(records: 1, payload: NfdumpFileBuilder.v3(NfdumpFileBuilder.sampleRecords(1)[0]))
        var header = NfdumpFileBuilder(compression: .none, blocks: []).build().prefix(40)
        // Three blocks, no appendix: an empty one, a good one, then one that claims more than is left.
        header.replaceSubrange(24..<32, with: [UInt8](repeating: 0, count: 8))
        header.replaceSubrange(36..<40, with: [3, 0, 0, 0])
        let empty = NfdumpFileBuilder.block(records: 1, payload: [])
        var cut = NfdumpFileBuilder.block(records: 1, payload: [UInt8](repeating: 0, count: 50))
        cut.removeLast(20)
        let (batch, counters, file) = try Self.read(Array(header) + empty + good + cut)
        #expect(batch.count == 1)
        #expect(counters.corruptBlocks == 1)
        #expect(file.warnings.count == 2)
        #expect(file.warnings.first == .invalidLength(offset: 44, field: "nfdump block size", value: 0))
        #expect(file.warnings.last == .truncated(offset: 40 + empty.count + good.count, needed: 62, available: cut.count))
    }
}
