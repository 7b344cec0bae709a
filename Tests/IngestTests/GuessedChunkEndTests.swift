import FlowModel
import Foundation
import Testing

@testable import Ingest

/// A mapped pcap file's chunk ends may be guessed instead of walked (``MappedPcapReader/guessesChunkEnds``):
/// each guess is checked by the decoding walk, and reading goes on from where a walk that does not confirm
/// it stopped. Whatever the guesses, the packets, record counts and warnings are those of walking.
@Suite struct GuessedChunkEndTests {
    /// What one way of reading a file gave.
    struct Reading: Equatable {
        var packets: [Packet] = []
        var records = 0
        var warnings: [ParseError] = []
    }

    /// Reads `path` by walking every chunk's end, decoding each chunk into a fresh batch.
    static func walked(_ path: String, targetBytes: Int) throws -> Reading {
        let reader = try MappedPcapReader(path: path)
        var reading = Reading()
        while let chunk = try reader.nextChunk(targetBytes: targetBytes) {
            #expect(chunk.guessedRecords == nil)
            let (packets, walk) = decode(chunk)
            #expect(walk.records == chunk.recordCount && walk.confirmsEnd(of: chunk))
            reading.packets += packets
            reading.records += walk.records
        }
        reading.warnings = reader.warnings
        return reading
    }

    /// Reads `path` guessing chunk ends and checking each guess as the pipeline does: a chunk whose walk
    /// does not confirm its end is kept up to where the walk stopped, and reading resumes there. Returns
    /// the reading and how many guesses did not hold.
    static func guessed(_ path: String, targetBytes: Int) throws -> (Reading, misses: Int, guesses: Int) {
        let reader = try MappedPcapReader(path: path)
        reader.guessesChunkEnds = true
        var reading = Reading()
        var misses = 0, guesses = 0
        while let chunk = try reader.nextChunk(targetBytes: targetBytes) {
            let (packets, walk) = decode(chunk)
            reading.packets += packets
            reading.records += walk.records
            guard chunk.guessedRecords != nil else { continue }
            guesses += 1
            if !walk.confirmsEnd(of: chunk) {
                misses += 1
                reader.resume(at: walk.endOffset, after: walk.lastSeconds)
            }
        }
        reading.warnings = reader.warnings
        return (reading, misses, guesses)
    }

    /// A chunk's packets, decoded with key hashes (into columns of the chunk's expected size), and its walk.
    static func decode(_ chunk: RecordChunk) -> ([Packet], RecordWalk) {
        var batch = PacketBatch()
        var counters = DecodeCounters()
        var filtered: UInt64 = 0
        var dns: [DNSAnswer]? = nil
        var keys: PacketKeyHashes? = PacketKeyHashes()
        let walk = chunk.decode(with: PacketDecoder(linkType: chunk.header.linkType), filter: nil, into: &batch,
                                counters: &counters, filteredOut: &filtered, dns: &dns, keys: &keys)
        if let keys { #expect(keys.hashes.count == batch.count && keys.srcFirst.count == batch.count) }
        return ((0..<batch.count).map { batch[$0] }, walk)
    }

    /// A UDP frame whose payload is `count` fake pcap records of 40 bytes, filling it to the frame's end:
    /// from inside it, eight plausible records chain on into the real records that follow.
    static func frameHoldingRecords(count: Int, seconds: UInt32) -> [UInt8] {
        var payload: [UInt8] = []
        for i in 0..<count {
            for word in [seconds, UInt32(i * 1000), 24, 24] { withUnsafeBytes(of: word.littleEndian) { payload += $0 } }
            payload += [UInt8](repeating: UInt8(i), count: 24)
        }
        return FrameBuilder.ethernet(type: 0x0800, FrameBuilder.ipv4(proto: 17, FrameBuilder.udp(src: 40000, dst: 9, payload)))
    }

    @Test(arguments: [300, 5_000, 20_000, 1 << 20])
    func guessedEndsReadWhatWalkingReads(targetBytes: Int) throws {
        for (bigEndian, nanoseconds) in [(false, false), (true, false), (false, true)] {
            let bytes = CaptureFixture.pcap(CaptureFixture.sampleRecords(count: 3_000), bigEndian: bigEndian,
                                            nanoseconds: nanoseconds)
            let path = try CaptureFixture.write(bytes, name: "guessed.pcap")
            let walked = try Self.walked(path, targetBytes: targetBytes)
            let (guessed, misses, guesses) = try Self.guessed(path, targetBytes: targetBytes)
            #expect(guessed == walked, "big-endian \(bigEndian), ns \(nanoseconds), chunks of \(targetBytes)")
            #expect(walked.records == 3_000 && misses == 0)
            #expect(guesses > 0 && guesses >= bytes.count / targetBytes / 2, "most chunks' ends are guessed")
        }
    }

    /// A capture whose records all carry pcap records in their payload: the guesses land inside them.
    static func nestedCapture() throws -> String {
        let start: Int64 = 1_700_000_000_000_000_000
        let records = (0..<1_500).map { i in
            CaptureFixture.Record(time: start + Int64(i) * 1_000_000,
                                  frame: Self.frameHoldingRecords(count: 12 + i % 5, seconds: 1_700_000_000))
        }
        return try CaptureFixture.write(CaptureFixture.pcap(records), name: "nested.pcap")
    }

    /// Records that carry pcap records in their payload mislead the guesses; each miss is caught by the
    /// walk before it, and reading resumes at the true boundary.
    @Test(arguments: [2_000, 7_000, 30_000])
    func recordsInsidePayloadsMisleadGuessesAndAreCaught(targetBytes: Int) throws {
        let path = try Self.nestedCapture()
        let walked = try Self.walked(path, targetBytes: targetBytes)
        let (guessed, misses, guesses) = try Self.guessed(path, targetBytes: targetBytes)
        #expect(guessed == walked)
        #expect(walked.records == 1_500)
        #expect(misses > 0 && misses <= guesses)
    }

    /// Guesses that keep failing are given up on step by step: after each miss the reader walks twice as
    /// many chunks as after the one before (1, 2, 4, … up to 64) before it guesses again.
    @Test func afterEachMissTwiceAsManyChunksAreWalked() throws {
        let reader = try MappedPcapReader(path: try Self.nestedCapture())
        reader.guessesChunkEnds = true
        var walkedRuns: [Int] = []
        var missed = false
        while let chunk = try reader.nextChunk(targetBytes: 600) {
            if chunk.guessedRecords == nil {
                if missed { walkedRuns[walkedRuns.count - 1] += 1 }
                continue
            }
            let walk = Self.decode(chunk).1
            missed = !walk.confirmsEnd(of: chunk)
            if missed {
                reader.resume(at: walk.endOffset, after: walk.lastSeconds)
                walkedRuns.append(0)
            }
        }
        // Every guess here misses; the last run of walked chunks is cut short by the file's end.
        #expect(walkedRuns.count >= 9)
        #expect(Array(walkedRuns.dropLast()) == (0..<walkedRuns.count - 1).map { min(1 << $0, 64) })
    }

    /// Damaged copies (overwritten words, cut or inserted bytes): guessing steps over the damage and
    /// reports it exactly as walking does.
    @Test(arguments: [64, 300, 1_000])
    func damageIsSteppedOverAndReportedAsWhenWalking(targetBytes: Int) throws {
        for seed in UInt64(0)..<150 {
            let bytes = CaptureResyncTests.damagedCopy(seed: seed)
            let path = try CaptureFixture.write(bytes, name: "damaged-\(seed).pcap")
            let walked = try Self.walked(path, targetBytes: targetBytes)
            let (guessed, _, _) = try Self.guessed(path, targetBytes: targetBytes)
            #expect(guessed == walked, "seed \(seed), chunks of \(targetBytes)")
        }
    }

    /// Every cut of the last record: the walk of the last chunk stops where the cut record begins, says
    /// so, and the reader reports the same truncation as when walking.
    @Test func everyCutOfTheLastRecordIsReportedAsWhenWalking() throws {
        let bytes = CaptureFixture.pcap(CaptureFixture.sampleRecords(count: 200))
        let lastStart = PcapRecordOffsets.of(bytes).last!
        for cut in lastStart + 1..<bytes.count {
            let path = try CaptureFixture.write(Array(bytes[..<cut]), name: "cut.pcap")
            let walked = try Self.walked(path, targetBytes: 1_000)
            #expect(try Self.guessed(path, targetBytes: 1_000).0 == walked, "cut at \(cut)")
            #expect(walked.records == 199 && walked.warnings.count == 1)
            // One chunk for the whole file: its walk stops where the cut record begins, not at the file's end.
            let (whole, misses, guesses) = try Self.guessed(path, targetBytes: 1 << 20)
            #expect(whole == walked && misses == 1 && guesses == 1, "cut at \(cut)")
        }
    }

    /// Small records after large ones: the columns sized from a chunk's first records fill up, and the
    /// rest of the chunk goes on through a stage; the packets are the same.
    @Test func recordsBeyondTheExpectedCountGoOnThroughAStage() throws {
        let start: Int64 = 1_700_000_000_000_000_000
        let big = FrameBuilder.ethernet(type: 0x0800, FrameBuilder.ipv4(proto: 17, FrameBuilder.udp(src: 1, dst: 2, [UInt8](repeating: 7, count: 1_400))))
        let small = FrameBuilder.ethernet(type: 0x0800, FrameBuilder.ipv4(proto: 17, FrameBuilder.udp(src: 3, dst: 4)))
        let records = (0..<4_000).map { i in
            CaptureFixture.Record(time: start + Int64(i) * 1_000, frame: i % 400 < 64 ? big : small)
        }
        let path = try CaptureFixture.write(CaptureFixture.pcap(records), name: "mixed.pcap")
        let reader = try MappedPcapReader(path: path)
        reader.guessesChunkEnds = true
        let chunk = try #require(try reader.nextChunk(targetBytes: 150_000))
        let (packets, walk) = Self.decode(chunk)
        let expected = try #require(chunk.guessedRecords)
        #expect(walk.confirmsEnd(of: chunk) && packets.count == walk.records && walk.records > expected)
        for target in [150_000, 40_000] {
            #expect(try Self.guessed(path, targetBytes: target).0 == (try Self.walked(path, targetBytes: target)))
        }
    }

    /// From any offset, the guess is the first record boundary at or after it, within the window.
    @Test func aGuessInACleanFileIsTheNextRecordBoundary() throws {
        let bytes = CaptureFixture.pcap(CaptureFixture.sampleRecords(count: 100))
        let header = try bytes.withUnsafeBytes { try PcapFileHeader(parsing: $0) }
        let offsets = PcapRecordOffsets.of(bytes)
        bytes.withUnsafeBytes { raw in
            for candidate in PcapFileHeader.size..<offsets[80] {
                let next = offsets.first { $0 >= candidate }!
                #expect(header.guessRecordBoundary(raw, from: candidate, window: 4_096, near: 1_700_000_000,
                                                   chainLength: 8) == next, "from \(candidate)")
            }
            // Too close to the end for eight records to follow, or nothing within the window.
            #expect(header.guessRecordBoundary(raw, from: offsets[95], window: 4_096, near: 1_700_000_000,
                                               chainLength: 8) == nil)
            #expect(header.guessRecordBoundary(raw, from: offsets[10] + 1, window: 8, near: 1_700_000_000,
                                               chainLength: 8) == nil)
            // Headers far from the time given are not records.
            #expect(header.guessRecordBoundary(raw, from: offsets[10], window: 4_096, near: 1_000_000_000,
                                               chainLength: 8) == nil)
            #expect(header.averageRecordSize(raw, from: offsets[0], count: 100) == (bytes.count - offsets[0]) / 100)
        }
    }
}

/// Where the records of a little-endian classic pcap file begin.
enum PcapRecordOffsets {
    static func of(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var offset = PcapFileHeader.size
        while offset + 16 <= bytes.count {
            offsets.append(offset)
            offset += 16 + (Int(bytes[offset + 8]) | Int(bytes[offset + 9]) << 8 | Int(bytes[offset + 10]) << 16
                | Int(bytes[offset + 11]) << 24)
        }
        return offsets
    }
}
