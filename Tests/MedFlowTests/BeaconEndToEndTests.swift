import Detect
import FlowModel
import Foundation
import Output
import Testing

@testable import MedFlow

/// `medflow analyze` on the real jittered C2 capture: the beacon is reported with its period, nothing else.
@Suite(.enabled(if: SharedCaptures.available, "../shared/captures is absent"))
struct BeaconEndToEndTests {
    static let capture = SharedCaptures.path("test-cc-2.pcap")

    /// The mean interval between the SYNs 147.32.80.37 sends to port 443, read straight from the pcap
    /// (Ethernet, IPv4, TCP), independently of medflow's decoder.
    static func measuredMeanInterval() throws -> Double {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: capture)))
        let totals = try PcapTotals(path: capture)
        let swapped = bytes[0] == 0xA1
        func u32(_ at: Int) -> UInt32 {
            let v = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            return swapped ? v.byteSwapped : v
        }
        var syns: [Double] = []
        for range in totals.recordRanges {
            let time = Double(u32(range.lowerBound)) + Double(u32(range.lowerBound + 4)) / 1e6
            let frame = range.lowerBound + 16
            guard range.count >= 16 + 14 + 20 + 20, bytes[frame + 12] == 0x08, bytes[frame + 13] == 0x00 else { continue }
            let ip = frame + 14
            let ihl = Int(bytes[ip] & 0x0F) * 4
            guard bytes[ip + 9] == 6, Array(bytes[(ip + 12)..<(ip + 16)]) == [147, 32, 80, 37] else { continue }
            let tcp = ip + ihl
            let dport = Int(bytes[tcp + 2]) << 8 | Int(bytes[tcp + 3])
            let flags = bytes[tcp + 13]
            if dport == 443 && flags & 0x02 != 0 && flags & 0x10 == 0 { syns.append(time) }
        }
        syns.sort()
        #expect(syns.count == 22)
        return (syns.last! - syns.first!) / Double(syns.count - 1)
    }

    static func beaconLines(_ directory: String, format: OutputFormat = .ndjson) throws -> [[String: Any]] {
        let text = try readBack((directory as NSString).appendingPathComponent("beacons" + format.fileExtension + ".zst"))
        return try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test func reportsTheJitteredC2WithItsPeriodAndNothingElse() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let summary = try Analyzer.analyze(AnalyzeOptions(pipeline: PipelineOptions(inputs: [Self.capture]),
                                                          outputDirectory: directory))
        let lines = try Self.beaconLines(directory)
        #expect(summary.findings["beacons"] == 1)
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line["src"] as? String == "147.32.80.37")
        #expect(line["dst"] as? String == "141.193.213.20")
        #expect(line["dport"] as? Int == 443)
        #expect(line["proto"] as? String == "tcp")
        #expect(line["kind"] as? String == "flow")
        #expect(line["connections"] as? Int == 22)
        let mean = try Self.measuredMeanInterval()
        let period = try #require(line["period_s"] as? Double)
        #expect(abs(period - mean) <= 0.05 * mean, "period \(period) against the measured mean interval \(mean)")
        #expect(try #require(line["score"] as? Double) >= 0.5)
        #expect(line["zone"] is NSNull)
        #expect(line["external"] as? Bool == true)
        for field in BeaconFinding.fieldNames { #expect(line[field] != nil, "\(field) missing") }
    }

    @Test func csvHasTheSameFieldsAndNoBeaconsWritesNoFile() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try Analyzer.analyze(AnalyzeOptions(pipeline: PipelineOptions(inputs: [Self.capture]), outputDirectory: directory,
                                                format: .csv))
        let csv = try readBack((directory as NSString).appendingPathComponent("beacons.csv.zst"))
        let rows = csv.split(separator: "\n")
        #expect(rows.first.map(String.init) == BeaconFinding.fieldNames.joined(separator: ","))
        #expect(rows.count == 2)
        #expect(rows.last?.hasPrefix("147.32.80.37,141.193.213.20,443,tcp,flow,22,") == true)

        var options = AnalyzeOptions(pipeline: PipelineOptions(inputs: [Self.capture]), outputDirectory: directory + "-none")
        options.beacons = nil
        defer { try? FileManager.default.removeItem(atPath: directory + "-none") }
        let summary = try Analyzer.analyze(options)
        #expect(summary.findings["beacons"] == nil)
        #expect(!FileManager.default.fileExists(atPath: options.resultPath("beacons")))
    }
}
