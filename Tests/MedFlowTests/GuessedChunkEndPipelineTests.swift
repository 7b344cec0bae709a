import Foundation
import Output
import Synth
import Testing

@testable import MedFlow

/// The pipeline guesses a plain pcap file's chunk ends and checks them as it decodes
/// (``PipelineOptions/guessChunkEnds``): a run with guessing reads, skips, reports and finds exactly what a
/// run that walks every header does, on clean, damaged, cut and misleading captures.
@Suite struct GuessedChunkEndPipelineTests {
    /// The summary's counts and every result file (flows' lines sorted: their order follows the steps).
    struct Outcome: Equatable {
        var inputs: Data
        var totals: Data
        var skipped: Data
        var warnings: [String]
        var files: [String: [Substring]]
    }

    static func run(_ path: String, guess: Bool, chunkBytes: Int) throws -> Outcome {
        let folder = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var pipeline = PipelineOptions(inputs: [path], workers: 2, chunkBytes: chunkBytes)
        pipeline.guessChunkEnds = guess
        let summary = try Analyzer.analyze(AnalyzeOptions(pipeline: pipeline, outputDirectory: folder, writeFlows: true,
                                                          compression: .none))
        var files: [String: [Substring]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name != "summary.json" {
            let text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
            files[name] = text.split(separator: "\n").sorted()
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Outcome(inputs: try encoder.encode(summary.inputs), totals: try encoder.encode(summary.totals),
                       skipped: try encoder.encode(summary.skipped), warnings: summary.warnings, files: files)
    }

    /// Runs `bytes` as a plain pcap file with and without guessing, for each chunk size, expecting the same.
    static func expectSameWithAndWithoutGuessing(_ bytes: [UInt8], chunkSizes: [Int] = [3_000, 40_000, 4 << 20],
                                                 sourceLocation: SourceLocation = #_sourceLocation) throws -> Outcome {
        let folder = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/capture.pcap"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let walked = try run(path, guess: false, chunkBytes: chunkSizes[0])
        for size in chunkSizes {
            #expect(try run(path, guess: true, chunkBytes: size) == walked, "chunks of \(size)",
                    sourceLocation: sourceLocation)
        }
        return walked
    }

    /// A bulk capture of 4 000 packets (snaplen 128), as bytes.
    static func bulkCapture() throws -> [UInt8] {
        let folder = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var options = SynthOptions(scenario: .bulk, hours: 1, seed: 11, output: folder + "/bulk.pcap")
        options.packets = 4_000
        options.snaplen = 128
        _ = try Synthesizer.run(options)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/bulk.pcap")))
    }

    @Test func aCleanCaptureGivesTheSameResults() throws {
        let outcome = try Self.expectSameWithAndWithoutGuessing(try Self.bulkCapture())
        #expect(outcome.files["flows.ndjson"].map { !$0.isEmpty } == true && outcome.warnings.isEmpty)
    }

    @Test func damagedAndCutCapturesGiveTheSameResultsAndWarnings() throws {
        let clean = try Self.bulkCapture()
        let offsets = DamagedInputTests.recordOffsets(clean)
        var corrupt = clean
        for i in 8..<16 { corrupt[offsets[1_500] + i] = 0xFF }  // a captured length of 4 GiB
        for i in offsets[3_000]..<offsets[3_010] { corrupt[i] = 0xEE }  // ten records of garbage
        let damaged = try Self.expectSameWithAndWithoutGuessing(corrupt)
        #expect(damaged.warnings.count == 2)
        let cut = try Self.expectSameWithAndWithoutGuessing(Array(clean[..<(offsets[3_999] + 30)]))
        #expect(cut.warnings.count == 1)
    }

    /// UDP datagrams that carry pcap records (someone copying a capture over the network): the guesses
    /// land inside them and are caught; the results are those of walking.
    @Test func recordsInsidePayloadsGiveTheSameResults() throws {
        var bytes: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        u32(0xA1B2_C3D4); bytes += [2, 0, 4, 0]; u32(0); u32(0); u32(65_535); u32(1)
        for i in 0..<3_000 {
            var payload: [UInt8] = []
            for j in 0..<(12 + i % 5) {
                for word in [UInt32(1_700_000_000), UInt32(j * 1000), 24, 24] {
                    withUnsafeBytes(of: word.littleEndian) { payload += $0 }
                }
                payload += [UInt8](repeating: UInt8(j), count: 24)
            }
            let udpLength = 8 + payload.count
            let ipLength = 20 + udpLength
            var frame: [UInt8] = [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00]
            frame += [0x45, 0, UInt8(ipLength >> 8), UInt8(ipLength & 0xFF), 0, 0, 0x40, 0, 64, 17, 0, 0,
                      10, 0, 0, UInt8(1 + i % 7), 192, 0, 2, 9]
            frame += [0x9C, 0x40 + UInt8(i % 3), 0x1F, 0x90, UInt8(udpLength >> 8), UInt8(udpLength & 0xFF), 0, 0]
            frame += payload
            u32(1_700_000_000 + UInt32(i / 100)); u32(UInt32(i % 100) * 10_000)
            u32(UInt32(frame.count)); u32(UInt32(frame.count))
            bytes += frame
        }
        let outcome = try Self.expectSameWithAndWithoutGuessing(bytes, chunkSizes: [2_000, 7_000, 30_000])
        #expect(outcome.warnings.isEmpty && outcome.files["flows.ndjson"]?.count == 21)
    }
}
