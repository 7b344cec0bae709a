import CZstd
import FlowModel
import Foundation
import Testing

@testable import Ingest

@Suite struct CaptureReaderTests {
    static let records = CaptureFixture.sampleRecords()

    /// The packets and totals of the reference little-endian µs file, read whole.
    static func reference() throws -> ([Packet], DecodeCounters) {
        let path = try CaptureFixture.write(CaptureFixture.pcap(records), name: "reference.pcap")
        return try CaptureFixture.readAll(try CaptureFile.open(path: path))
    }

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func everyByteOrderAndResolutionReadsTheSamePackets(bigEndian: Bool, nanoseconds: Bool) throws {
        let bytes = CaptureFixture.pcap(Self.records, bigEndian: bigEndian, nanoseconds: nanoseconds)
        let path = try CaptureFixture.write(bytes, name: "variant.pcap")
        let reader = try CaptureFile.open(path: path)
        #expect(reader is MappedPcapReader)
        let (packets, counters) = try CaptureFixture.readAll(reader)
        #expect(packets.count == Self.records.count)
        #expect(packets.map(\.timestamp) == Self.records.map(\.time))
        #expect(packets.map(\.wireLength) == Self.records.map { $0.originalLength! })
        #expect(counters.frames == UInt64(Self.records.count) && counters.linkFrames == 3)
        #expect(packets == (try Self.reference().0))
    }

    @Test(arguments: [1, 17, 100, 1 << 20])
    func chunksAreRecordAlignedAtAnySize(targetBytes: Int) throws {
        let path = try CaptureFixture.write(CaptureFixture.pcap(Self.records), name: "chunks.pcap")
        let reader = try MappedPcapReader(path: path)
        var total = 0
        var expectedOffset = PcapFileHeader.size
        while let chunk = try reader.nextChunk(targetBytes: targetBytes) {
            #expect(chunk.fileOffset == expectedOffset)
            expectedOffset += chunk.range.count
            total += chunk.recordCount
            if targetBytes == 1 { #expect(chunk.recordCount == 1) }
        }
        #expect(total == Self.records.count && reader.warnings.isEmpty)
        #expect(try CaptureFixture.readAll(try MappedPcapReader(path: path), targetBytes: targetBytes).0
            == (try Self.reference().0))
    }

    /// Every prefix of a valid file: the header's prefixes fail with `truncated`; past the header, the whole
    /// records before the cut are read and a cut record is a warning, never a crash.
    @Test func everyTruncationReadsTheWholeRecordsBeforeIt() throws {
        let bytes = CaptureFixture.pcap(Array(Self.records.prefix(3)))
        let (full, _) = try Self.reference()
        var boundaries = [PcapFileHeader.size]
        for record in Self.records.prefix(3) { boundaries.append(boundaries.last! + 16 + record.frame.count) }
        for length in 0..<bytes.count {
            let path = try CaptureFixture.write(Array(bytes.prefix(length)), name: "cut.pcap")
            if length < PcapFileHeader.size {
                let error = #expect(throws: ParseError.self) { try CaptureFile.open(path: path) }
                guard case .truncated = error else { Issue.record("length \(length): \(String(describing: error))"); continue }
                continue
            }
            let reader = try CaptureFile.open(path: path)
            let (packets, _) = try CaptureFixture.readAll(reader)
            let whole = boundaries.lastIndex { $0 <= length }!
            #expect(packets == Array(full.prefix(whole)), "prefix \(length)")
            #expect(reader.warnings.isEmpty == boundaries.contains(length), "prefix \(length)")
            if let warning = reader.warnings.first { #expect(warning.offset == boundaries[whole]) }
        }
    }

    @Test func badMagicAndImpossibleLengthsNameTheOffset() throws {
        var bytes = CaptureFixture.pcap(Array(Self.records.prefix(2)))
        let notCapture = try CaptureFixture.write(Array("hello, world, not a capture".utf8), name: "text.pcap")
        let magicError = #expect(throws: ParseError.self) { try CaptureFile.open(path: notCapture) }
        #expect(magicError == .badMagic(offset: 0, value: 0x6C6C_6568))
        // Second record's captured length set to 3 GB.
        let second = PcapFileHeader.size + 16 + Self.records[0].frame.count
        bytes.replaceSubrange((second + 8)..<(second + 12), with: [0, 0, 0, 0xC0])
        let path = try CaptureFixture.write(bytes, name: "badlength.pcap")
        // The damaged record is stepped over (nothing plausible follows it: the rest of the file) and reported.
        let reader = try CaptureFile.open(path: path)
        let (packets, _) = try CaptureFixture.readAll(reader)
        #expect(packets.count == 1)
        let reason = ParseError.invalidLength(offset: second + 8, field: "record captured length", value: 0xC000_0000)
        #expect(reason.description == "invalid record captured length 3221225472 at byte \(second + 8)")
        #expect(reader.warnings == [.skipped(offset: second, bytes: bytes.count - second, reason: reason.description)])
    }

    @Test func unsupportedLinkTypeIsRefusedAtOpen() throws {
        let path = try CaptureFixture.write(CaptureFixture.pcap(Self.records, linkType: 105), name: "wifi.pcap")
        let error = #expect(throws: ParseError.self) { try CaptureFile.open(path: path) }
        #expect(error == .unsupported(offset: 20, what: "link type 105"))
    }

    /// The streaming reader sees the same packets however the stream is cut into reads and chunks.
    @Test(arguments: [1, 3, 16, 61, 4096], [1, 40, 1 << 16])
    func streamReaderMatchesForEveryChunking(readSize: Int, targetBytes: Int) throws {
        let bytes = CaptureFixture.pcap(Self.records, bigEndian: true, nanoseconds: true)
        let reader = try StreamPcapReader(stream: MemoryByteStream(bytes, maximumReadSize: readSize))
        let (packets, _) = try CaptureFixture.readAll(reader, targetBytes: targetBytes)
        #expect(packets == (try Self.reference().0) && reader.warnings.isEmpty)
    }

    /// A chunk's buffer goes back to the reader's pool only when the chunk is released, and the next chunk
    /// of the same size reuses it: chunks held at once never share memory, and the packets decoded from
    /// recycled buffers are the file's.
    @Test func chunkBuffersAreReusedOnlyOnceReleased() throws {
        let bytes = CaptureFixture.pcap(Self.records)
        let reader = try StreamPcapReader(stream: MemoryByteStream(bytes, maximumReadSize: 1 << 20))
        let targetBytes = 200
        let first = try #require(try reader.nextChunk(targetBytes: targetBytes))
        let second = try #require(try reader.nextChunk(targetBytes: targetBytes))
        #expect(first.storage.base != second.storage.base)
        let freed = second.storage.base
        var packets: [Packet] = []
        for chunk in [first, second] { packets += CaptureFixture.decode(chunk) }
        _ = consume second
        let third = try #require(try reader.nextChunk(targetBytes: targetBytes))
        #expect(third.storage.base == freed)
        #expect(third.storage.base != first.storage.base)
        packets += CaptureFixture.decode(third)
        while let chunk = try reader.nextChunk(targetBytes: targetBytes) { packets += CaptureFixture.decode(chunk) }
        #expect(packets == (try Self.reference().0) && reader.warnings.isEmpty)
    }

    @Test func streamReaderWarnsAboutACutLastRecord() throws {
        let bytes = CaptureFixture.pcap(Self.records)
        let reader = try StreamPcapReader(stream: MemoryByteStream(Array(bytes.dropLast(5)), maximumReadSize: 7))
        let (packets, _) = try CaptureFixture.readAll(reader, targetBytes: 64)
        #expect(packets == Array(try Self.reference().0.dropLast()))
        guard case .truncated(let offset, _, _)? = reader.warnings.first else {
            Issue.record("no truncation warning: \(reader.warnings)"); return
        }
        #expect(offset == bytes.count - 16 - Self.records.last!.frame.count)
    }

    @Test(arguments: [1, 5, 1000])
    func zstdCompressedCaptureStreamsThroughTheSameDecoder(level: Int32) throws {
        let plain = CaptureFixture.pcap(Self.records)
        var compressed = [UInt8](repeating: 0, count: ZSTD_compressBound(plain.count))
        let size = ZSTD_compress(&compressed, compressed.count, plain, plain.count, min(level, 19))
        #expect(ZSTD_isError(size) == 0)
        let path = try CaptureFixture.write(Array(compressed.prefix(size)), name: "capture.pcap.zst")
        let reader = try CaptureFile.open(path: path)
        #expect(reader is StreamPcapReader)
        #expect(try CaptureFixture.readAll(reader, targetBytes: 100).0 == (try Self.reference().0))
    }

    @Test(arguments: [false, true])
    func pcapngGoesThroughLibpcap(nanoseconds: Bool) throws {
        let path = try CaptureFixture.write(CaptureFixture.pcapng(Self.records, nanoseconds: nanoseconds), name: "c.pcapng")
        let reader = try CaptureFile.open(path: path)
        #expect(reader.formatName == "pcapng" && reader.linkType == .ethernet)
        #expect(try CaptureFixture.readAll(reader, targetBytes: 50).0 == (try Self.reference().0))
    }

    @Test func compressedPcapngIsFedToLibpcapThroughAPipe() throws {
        let plain = CaptureFixture.pcapng(Self.records, nanoseconds: true)
        var compressed = [UInt8](repeating: 0, count: ZSTD_compressBound(plain.count))
        let size = ZSTD_compress(&compressed, compressed.count, plain, plain.count, 3)
        let path = try CaptureFixture.write(Array(compressed.prefix(size)), name: "c.pcapng.zst")
        let reader = try CaptureFile.open(path: path)
        #expect(reader is LibpcapReader)
        #expect(try CaptureFixture.readAll(reader).0 == (try Self.reference().0))
    }

    @Test func corruptCompressedStreamIsAnErrorWithTheCompressedOffset() throws {
        let plain = CaptureFixture.pcap(CaptureFixture.sampleRecords(count: 400))
        var compressed = [UInt8](repeating: 0, count: ZSTD_compressBound(plain.count))
        let size = ZSTD_compress(&compressed, compressed.count, plain, plain.count, 1)
        let path = try CaptureFixture.write(Array(compressed.prefix(size / 2)), name: "cut.pcap.zst")
        let error = #expect(throws: ParseError.self) {
            _ = try CaptureFixture.readAll(try CaptureFile.open(path: path), targetBytes: 256)
        }
        guard case .corruptStream(let offset, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(offset <= size / 2)
    }

    @Test func bpfFilterKeepsOnlyMatchingFrames() throws {
        let filter = try PacketFilter(expression: "udp port 53", linkType: .ethernet)
        let path = try CaptureFixture.write(CaptureFixture.pcap(Self.records), name: "f.pcap")
        let reader = try CaptureFile.open(path: path)
        var batch = PacketBatch(), counters = DecodeCounters(), filtered: UInt64 = 0
        while let chunk = try reader.nextChunk(targetBytes: 1 << 20) {
            chunk.decode(with: PacketDecoder(linkType: .ethernet), filter: filter, into: &batch, counters: &counters,
                         filteredOut: &filtered)
        }
        #expect(batch.count == 3 && filtered == 9)
        #expect((0..<batch.count).allSatisfy { batch[$0].dstPort == 53 })
        let bad = #expect(throws: FilterError.self) { try PacketFilter(expression: "port banana", linkType: .ethernet) }
        #expect(bad?.description.hasPrefix("invalid filter 'port banana': ") == true)
    }
}
