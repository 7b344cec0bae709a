import Foundation
import MedFlow
import Testing

/// The bundled synthetic hospital analysed as `make run` does, scored against its truth: every detector
/// meets the targets of its issue on data none of the detectors was tuned on.
@Suite struct HospitalDetectionTests {
    static let stem = SharedCaptures.projectRoot.appendingPathComponent("datasets/hospital-2h").path

    @Test(.enabled(if: FileManager.default.fileExists(atPath: stem + ".pcap.zst"), "the sample is absent"))
    func findingsMeetTheTruth() throws {
        let out = NSTemporaryDirectory() + "medflow-hospital-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let options = AnalyzeOptions(pipeline: PipelineOptions(inputs: [Self.stem + ".pcap.zst"]), outputDirectory: out,
                                     policyPath: Self.stem + ".policy.yaml")
        _ = try Analyzer.analyze(options)
        let report = try Evaluator.evaluate(findingsDirectory: out, truthPath: Self.stem + ".truth.json")

        // Beacons: every eligible planted beacon, period within 5 %; every finding truly periodic.
        #expect(report.beacons.status == "ok" && report.beacons.eligible > 0)
        #expect(report.beacons.recall == 1 && report.beacons.misses.isEmpty)
        #expect(report.beacons.periodWithin5Percent == 1)
        #expect((report.beacons.precision ?? 0) >= 0.95, "false alarms: \(report.beacons.falseAlarms)")
        // Egress, fan-out and the upload: exactly the truth.
        for section in [report.egress, report.fanout, report.uploads] {
            #expect(section.status == "ok" && section.precision == 1 && section.recall == 1,
                    "misses \(section.misses), false alarms \(section.falseAlarms)")
        }

        // One line per (src, dst, dport, proto): a pair reported as a connection beacon is not repeated as
        // an intra-flow one.
        let lines = try readBack(out + "/beacons.ndjson.zst").split(separator: "\n")
        let keys = try lines.map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return "\(object["src"] ?? "") \(object["dst"] ?? "") \(object["dport"] ?? "") \(object["proto"] ?? "")"
        }
        #expect(!keys.isEmpty)
        #expect(Set(keys).count == keys.count)
    }
}
