import FlowModel
import Ingest
import Testing

/// A small deterministic generator (SplitMix64), so a failure reproduces.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Garbage and damaged frames never trap, and every frame lands in exactly one counter.
@Suite struct DecodeFuzzTests {
    /// Decodes `frames` with one decoder and checks the counters against the batch.
    private func decodeAll(_ frames: [[UInt8]], linkType: LinkType) {
        let decoder = PacketDecoder(linkType: linkType)
        var batch = PacketBatch()
        var counters = DecodeCounters()
        var wireBytes: UInt64 = 0
        for frame in frames {
            let wireLength = UInt32(frame.count + 4)
            wireBytes += UInt64(wireLength)
            frame.withUnsafeBytes {
                decoder.decode(frame: $0, wireLength: wireLength, timestamp: 0, into: &batch, counters: &counters)
            }
        }
        #expect(counters.frames == UInt64(frames.count))
        #expect(counters.wireBytes == wireBytes)
        #expect(counters.appended + counters.skipped == counters.frames)
        #expect(UInt64(batch.count) == counters.appended)
        #expect(batch.wireLength.reduce(0) { $0 + UInt64($1) } + counters.skippedBytes == wireBytes)
        let linkRows = batch.flags.filter { $0 & PacketBatch.Flags.link.rawValue != 0 }.count
        #expect(UInt64(linkRows) == counters.linkFrames)
        for index in 0..<batch.count where batch.flags[index] & PacketBatch.Flags.laterFragment.rawValue != 0 {
            #expect(batch.srcPort[index] == 0 && batch.dstPort[index] == 0 && batch.tcpFlags[index] == 0)
        }
    }

    /// Random bytes of random length, for every supported link type.
    @Test(arguments: LinkType.supported.sorted { $0.rawValue < $1.rawValue })
    func randomBytes(_ linkType: LinkType) {
        var generator = SplitMix64(state: UInt64(linkType.rawValue))
        let frames = (0..<4000).map { _ in
            (0..<Int.random(in: 0..<160, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        decodeAll(frames, linkType: linkType)
    }

    /// Every valid test frame with one to four random bytes overwritten, many times over.
    @Test(arguments: DecodeCase.all)
    func damagedFrames(_ testCase: DecodeCase) {
        var generator = SplitMix64(state: UInt64(truncatingIfNeeded: testCase.frame.count &* 7919))
        let frames = (0..<300).map { _ in
            var frame = testCase.frame
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                frame[Int.random(in: 0..<frame.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            return Array(frame.prefix(Int.random(in: 0...frame.count, using: &generator)))
        }
        decodeAll(frames, linkType: testCase.linkType)
    }
}
