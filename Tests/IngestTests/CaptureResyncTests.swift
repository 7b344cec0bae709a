import FlowModel
import Foundation
import Testing

@testable import Ingest

/// Damaged captures read the same through the mapped reader (the whole file at hand) and the streaming
/// one (a buffer at a time): where a damaged region ends must not depend on where a buffer ended.
@Suite struct CaptureResyncTests {
    /// A 40-record capture with one to three random injuries: overwritten words, cut or inserted bytes.
    static func damagedCopy(seed: UInt64) -> [UInt8] {
        var random = SplitMix64(state: seed)
        var bytes = CaptureFixture.pcap(CaptureFixture.sampleRecords(count: 40))
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let at = Int.random(in: PcapFileHeader.size..<bytes.count - 4, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                let word: UInt32 = [0, 0xFFFF_FFFF, UInt32.random(in: 0...200, using: &random),
                                    UInt32.random(in: 0...UInt32.max, using: &random)].randomElement(using: &random)!
                withUnsafeBytes(of: word.littleEndian) { bytes.replaceSubrange(at..<at + 4, with: $0) }
            case 1:
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...40, using: &random)))
            default:
                bytes.insert(contentsOf: (0..<Int.random(in: 1...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) },
                             at: at)
            }
        }
        return bytes
    }

    /// Reads damaged copy `seed` through the mapped reader and, for each `targets` chunk size, through the
    /// streaming one (reads of `readSize` bytes, header walks every `pieceBytes`), expecting the same.
    static func expectStreamedMatchesMapped(seed: UInt64, readSize: Int, targets: [Int], pieceBytes: Int? = nil) throws {
        let bytes = damagedCopy(seed: seed)
        let path = try CaptureFixture.write(bytes, name: "damaged-\(seed).pcap")
        let mapped = try MappedPcapReader(path: path)
        let whole = try CaptureFixture.readAll(mapped)
        for target in targets {
            let streamed = try StreamPcapReader(stream: MemoryByteStream(bytes, maximumReadSize: readSize))
            if let pieceBytes { streamed.readPieceBytes = pieceBytes }
            let parts = try CaptureFixture.readAll(streamed, targetBytes: target)
            #expect(parts.0 == whole.0, "seed \(seed), chunks of \(target)")
            #expect(streamed.warnings == mapped.warnings, "seed \(seed), chunks of \(target)")
        }
    }

    @Test(arguments: [16, 50, 256, 1 << 20])
    func streamedMatchesMappedOnDamagedCopies(targetBytes: Int) throws {
        for seed in UInt64(0)..<150 {
            try Self.expectStreamedMatchesMapped(seed: seed, readSize: 1 + Int(seed % 97), targets: [targetBytes])
        }
    }

    /// Records are walked a read piece at a time as they come in: pieces that end inside a header, a
    /// frame or the damage give what the whole file gives.
    @Test(arguments: [1, 7, 16, 33, 100, 4096])
    func walkingPieceByPieceMatchesMapped(pieceBytes: Int) throws {
        for seed in UInt64(0)..<60 {
            try Self.expectStreamedMatchesMapped(seed: seed, readSize: 1 + Int(seed % 13), targets: [256, 1 << 20],
                                                 pieceBytes: pieceBytes)
        }
    }

    /// What `FuzzPcap` found: a record that looked plausible at the end of a 256-byte buffer was taken as
    /// the end of a damaged region, though the file's next bytes showed it was not.
    @Test func candidateAtTheBufferEndIsJudgedWithTheBytesAfterIt() throws {
        let records = CaptureFixture.sampleRecords(count: 6)
        var bytes = CaptureFixture.pcap(records)
        let second = PcapFileHeader.size + 16 + records[0].frame.count
        bytes.replaceSubrange((second + 8)..<(second + 12), with: [0, 0, 0, 0xC0])  // impossible length
        // Inside the damaged record, a header that is plausible on its own but followed by garbage.
        let fake = second + 20
        let fakeHeader: [UInt32] = [1_700_000_000, 5, 4, 4]
        for (i, word) in fakeHeader.enumerated() {
            withUnsafeBytes(of: word.littleEndian) { bytes.replaceSubrange(fake + 4 * i..<fake + 4 * i + 4, with: $0) }
        }
        bytes.replaceSubrange((fake + 20)..<(fake + 36), with: [UInt8](repeating: 0xFF, count: 16))
        let path = try CaptureFixture.write(bytes, name: "fake-header.pcap")
        let mapped = try MappedPcapReader(path: path)
        let whole = try CaptureFixture.readAll(mapped)
        for target in (fake - second + 16)...(fake - second + 40) {
            let streamed = try StreamPcapReader(stream: MemoryByteStream(bytes, maximumReadSize: 7))
            let parts = try CaptureFixture.readAll(streamed, targetBytes: target)
            #expect(parts.0 == whole.0 && streamed.warnings == mapped.warnings, "buffer of \(target) bytes")
        }
    }
}
