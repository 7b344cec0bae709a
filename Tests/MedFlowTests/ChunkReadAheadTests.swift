import Foundation
import Ingest
import Testing

@testable import MedFlow

/// The read-ahead's first steps are small, so decoding and the flow table start early; every record is
/// still read once, in file order.
@Suite struct ChunkReadAheadTests {
    static let hospital = SharedCaptures.projectRoot.appendingPathComponent("datasets/hospital-2h.pcap.zst").path

    @Test func chunkSizesRampUpOverTheFirstTwoSteps() {
        let target = 4 << 20
        #expect(ChunkReadAhead.chunkBytes(step: 0, targetBytes: target) == target / 16)
        #expect(ChunkReadAhead.chunkBytes(step: 1, targetBytes: target) == target / 4)
        #expect((2..<10).allSatisfy { ChunkReadAhead.chunkBytes(step: $0, targetBytes: target) == target })
        #expect(ChunkReadAhead.chunkBytes(step: 0, targetBytes: 256 << 10) == 64 << 10)
    }

    @Test(arguments: [false, true])
    func everyRecordIsReadOnceWithSmallFirstSteps(background: Bool) throws {
        let target = 1 << 20
        let reference = try CaptureFile.open(path: Self.hospital)
        var total = 0, firstOffset: Int?
        while let chunk = try reference.nextChunk(targetBytes: 64 << 10) {
            firstOffset = firstOffset ?? chunk.fileOffset
            total += chunk.recordCount
        }
        let ahead = ChunkReadAhead(reader: try CaptureFile.open(path: Self.hospital), perStep: 2, targetBytes: target,
                                   background: background)
        var records = 0, steps = 0, lastEnd = firstOffset ?? 0
        ahead.start()
        var step = ahead.wait()
        while !step.chunks.isEmpty {
            #expect(step.failure == nil)
            let limit = ChunkReadAhead.chunkBytes(step: steps, targetBytes: target)
            for chunk in step.chunks {
                #expect(chunk.fileOffset == lastEnd, "chunks follow each other in file order")
                #expect(chunk.range.count <= limit + 65_535 + 16, "a chunk of step \(steps) is about its step's size")
                lastEnd = chunk.fileOffset + chunk.range.count
                records += chunk.recordCount
            }
            steps += 1
            ahead.start()
            step = ahead.wait()
        }
        #expect(records == total && total > 10_000)
        #expect(steps > 2)
    }
}
