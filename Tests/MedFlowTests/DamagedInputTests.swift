import FlowModel
import Foundation
import Ingest
import Synth
import Testing

@testable import MedFlow

/// Damaged captures: a corrupt record is stepped over and reported, a broken file fails alone (unless
/// `--strict`), and the exit status says which happened.
@Suite struct DamagedInputTests {
    /// A small bulk capture (`.pcap`, or `.pcap.zst` when `compressed`) in a fresh directory.
    static func capture(compressed: Bool) throws -> (directory: String, path: String, packets: UInt64) {
        let directory = NSTemporaryDirectory() + "medflow-damaged-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + (compressed ? "/bulk.pcap.zst" : "/bulk.pcap")
        var options = SynthOptions(scenario: .bulk, hours: 1, seed: 5, output: path)
        options.packets = 3_000
        options.snaplen = 128
        _ = try Synthesizer.run(options)
        return (directory, path, 3_000)
    }

    /// The offsets of every record header of an uncompressed pcap.
    static func recordOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var offset = 24
        while offset + 16 <= bytes.count {
            offsets.append(offset)
            let captured = Int(bytes[offset + 8]) | Int(bytes[offset + 9]) << 8 | Int(bytes[offset + 10]) << 16
                | Int(bytes[offset + 11]) << 24
            offset += 16 + captured
        }
        return offsets
    }

    static func analyze(_ inputs: [String], strict: Bool = false) throws(AnalysisError) -> AnalysisSummary {
        var pipeline = PipelineOptions(inputs: inputs, workers: 2)
        pipeline.strict = strict
        return try Analyzer.analyze(AnalyzeOptions(pipeline: pipeline, outputDirectory: temporaryDirectory()))
    }

    @Test func aCorruptRecordHeaderIsSkippedToTheNextRecord() throws {
        let (directory, path, packets) = try Self.capture(compressed: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let offsets = Self.recordOffsets(bytes)
        let victim = offsets[1_000]
        for i in 8..<16 { bytes[victim + i] = 0xFF }  // captured and original length: 4 GiB
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let summary = try Self.analyze([path])
        #expect(summary.skipped.damagedRegions == 1)
        #expect(summary.skipped.damagedBytes == UInt64(offsets[1_001] - victim))
        #expect(summary.totals.packets == packets - 1)
        #expect(summary.totals.flowPackets == packets - 1)
        #expect(summary.hasWarnings)
        let warning = try #require(summary.warnings.first)
        #expect(warning.hasPrefix(path + ": damaged data at byte \(victim)"))
    }

    @Test func aCorruptRegionInACompressedStreamIsSkippedToo() throws {
        let (directory, path, packets) = try Self.capture(compressed: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let offsets = Self.recordOffsets(bytes)
        for i in offsets[2_000]..<offsets[2_010] { bytes[i] = 0xEE }  // ten records of garbage
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let zst = path + ".zst"
        let zstd = Process()
        zstd.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        zstd.arguments = ["zstd", "-q", "-f", path, "-o", zst]
        try zstd.run()
        zstd.waitUntilExit()
        try #require(zstd.terminationStatus == 0)

        let summary = try Self.analyze([zst])
        #expect(summary.skipped.damagedRegions == 1)
        #expect(summary.skipped.damagedBytes == UInt64(offsets[2_010] - offsets[2_000]))
        #expect(summary.totals.packets == packets - 10)
        #expect(summary.totals.flowPackets == packets - 10)
    }

    @Test func anUnreadableFileFailsAloneUnlessStrict() throws {
        let (directory, path, packets) = try Self.capture(compressed: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let garbage = directory + "/garbage.pcap"
        try Data("this is not a capture at all".utf8).write(to: URL(fileURLWithPath: garbage))

        let summary = try Self.analyze([path, garbage])
        #expect(summary.totals.packets == packets)
        #expect(summary.skipped.failedFiles == 1)
        #expect(summary.inputs.first { $0.path == garbage }?.error?.contains("unknown file format at byte 0") == true)
        #expect(summary.hasWarnings)

        #expect(throws: AnalysisError.self) { try Self.analyze([path, garbage], strict: true) }
        #expect(throws: AnalysisError.self) { try Self.analyze([garbage]) }
    }

    /// A capture of NetFlow/IPFIX export traffic whose compressed stream breaks after 1 500 copies of the
    /// shared export capture were read: the failed input still reports the records delivered before.
    @Test(.enabled(if: SharedCaptures.available, "../shared/captures is absent"))
    func aFlowInputThatFailsMidFileKeepsItsCounts() throws {
        let directory = NSTemporaryDirectory() + "medflow-damaged-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let exports = [UInt8](try Data(contentsOf: URL(fileURLWithPath: SharedCaptures.path("flows/wire_exports.pcap"))))
        let body = Array(exports[24...])
        func zstd(_ bytes: [UInt8], _ name: String) throws -> [UInt8] {
            let path = directory + "/" + name
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["zstd", "-q", "-f", "-1", path, "-o", path + ".zst"]
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0)
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".zst")))
        }
        // Two zstd frames: 1 500 good copies, then 500 copies whose frame is damaged in the middle.
        let first = try zstd(Array(exports[..<24]) + Array([[UInt8]](repeating: body, count: 1_500).joined()), "a")
        var second = try zstd(Array([[UInt8]](repeating: body, count: 500).joined()), "b")
        for i in (second.count / 2)..<(second.count / 2 + 6) { second[i] ^= 0xFF }
        let broken = directory + "/broken.pcap.zst"
        try Data(first + second).write(to: URL(fileURLWithPath: broken))

        let summary = try Self.analyze([broken, SharedCaptures.path("flows/wire_exports.pcap")])
        let failed = try #require(summary.inputs.first { $0.path == broken })
        #expect(failed.error?.contains("corrupt compressed stream") == true)
        #expect((failed.flowExport?.records ?? 0) >= 74 * 1_000)
        #expect(failed.packets >= failed.flowExport?.records ?? .max)
        #expect(summary.totals.packets == summary.inputs.reduce(0) { $0 + $1.packets })
        #expect(summary.skipped.failedFiles == 1)
    }

    /// A damaged nfdump file (one of `scripts/damage-test`'s copies of the shared `conv_v9_lz4.nfcapd`,
    /// 651 bytes) whose records claim packet counts near 2^64: the run's flow totals trapped on overflow.
    /// They wrap now, as the input's own counters do, so the totals still agree.
    @Test func recordCountsNear2To64DoNotTrap() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/overflowing-counts.nfcapd").path
        let summary = try Self.analyze([fixture])
        #expect(summary.totals.flows > 0)
        // Every record's octets reach a flow: the wrapped sums agree.
        #expect(summary.totals.flowBytes == summary.inputs.reduce(0) { $0 &+ $1.bytes })
    }

    /// The flow totals wrap, never trap, whatever the counts.
    @Test func flowTotalsWrapOnOverflow() {
        let pipeline = Pipeline(options: PipelineOptions(inputs: [], workers: 1))
        var batch = FlowBatch()
        batch.append(FlowRecord(src: IPAddress(v4: 1), dst: IPAddress(v4: 2), srcPort: 1, dstPort: 2, proto: 17,
                                firstSeen: 0, lastSeen: 0, packetsOut: .max, bytesOut: .max, packetsIn: 3, bytesIn: 5))
        var report = PipelineReport()
        pipeline.tally(batch, report: &report)
        pipeline.tally(batch, report: &report)
        #expect(report.flowPackets == (UInt64.max &+ 3) &* 2)
        #expect(report.flowBytes == (UInt64.max &+ 5) &* 2)
        #expect(report.flows == 2)
    }

    @Test func theExitStatusSaysWhatHappened() throws {
        let (directory, path, _) = try Self.capture(compressed: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let garbage = directory + "/garbage.pcap"
        try Data(repeating: 0x5A, count: 100).write(to: URL(fileURLWithPath: garbage))
        let out = directory + "/out"
        #expect(try MedflowBinary.run(["analyze", path, "--out", out, "--quiet"]).0 == 0)
        let (warned, _, stderr) = try MedflowBinary.run(["analyze", path, garbage, "--out", out, "--quiet"])
        #expect(warned == 1)
        #expect(stderr.contains("warning: failed: \(garbage): unknown file format at byte 0"))
        #expect(try MedflowBinary.run(["analyze", path, garbage, "--out", out, "--quiet", "--strict"]).0 == 65)
    }

    @Test func randomTruncationsAndBitFlipsEndWithResultsOrOneLine() throws {
        let (directory, path, _) = try Self.capture(compressed: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var generator = SeededGenerator(state: 2026)
        let cut = directory + "/cut.pcap"
        for _ in 0..<100 {
            let length = Int.random(in: 0..<bytes.count, using: &generator)
            var copy = Array(bytes[..<length])
            // and a few flipped bits
            for _ in 0..<Int.random(in: 0...3, using: &generator) where !copy.isEmpty {
                copy[Int.random(in: 0..<copy.count, using: &generator)] ^= UInt8(1) << UInt8.random(in: 0...7, using: &generator)
            }
            try Data(copy).write(to: URL(fileURLWithPath: cut))
            do {
                let summary = try Self.analyze([cut])
                #expect(summary.totals.flowPackets + summary.skipped.tooShort + summary.skipped.malformed
                        == summary.totals.packets)
            } catch {
                #expect(error.description.hasPrefix(cut + ": "), "\(error.description)")
            }
        }
    }
}

/// SplitMix64, so the damaged copies are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
