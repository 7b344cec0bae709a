import Foundation
import Testing

@testable import MedFlow

/// `medflow eval` against a hand-written truth for the real C2 capture.
@Suite(.enabled(if: SharedCaptures.available, "../shared/captures is absent"))
struct BeaconEvaluationTests {
    @Test func scoresFoundMissedAndFalseAlarms() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try Analyzer.analyze(AnalyzeOptions(pipeline: PipelineOptions(inputs: [SharedCaptures.path("test-cc-2.pcap")]),
                                                outputDirectory: directory))
        let truth: [String: Any] = [
            "beacons": [
                ["src": "147.32.80.37", "dst": "141.193.213.20", "dport": 443, "proto": "tcp", "malicious": true,
                 "period_s": 2.55, "jitter": 0.4, "jitter_kind": "one-sided", "connections": 22, "label": "cc2"],
                ["src": "10.0.0.9", "dst": "203.0.113.1", "dport": 443, "proto": "tcp", "malicious": true,
                 "period_s": 60.0, "jitter": 0.1, "jitter_kind": "uniform", "connections": 100, "label": "missed"],
                ["src": "10.0.0.8", "dst": "203.0.113.2", "dport": 443, "proto": "tcp", "malicious": true,
                 "period_s": 60.0, "jitter": 0.1, "jitter_kind": "uniform", "connections": 5, "label": "too-few"],
            ],
            "benign_periodic": [] as [Any],
        ]
        let truthPath = directory + "/x.truth.json"
        try JSONSerialization.data(withJSONObject: truth).write(to: URL(fileURLWithPath: truthPath))
        let evaluation = try BeaconEvaluation.evaluate(beaconsPath: directory + "/beacons.ndjson.zst", truthPath: truthPath)
        #expect(evaluation.beacons.map(\.label) == ["cc2", "missed"])
        #expect(evaluation.beacons.map(\.found) == [true, false])  // 2.55 × 1.2 = 3.06 s expected
        #expect(evaluation.recall == 0.5 && evaluation.precision == 1 && evaluation.falseAlarms.isEmpty)

        let none = try JSONSerialization.data(withJSONObject: ["beacons": [] as [Any]])
        try none.write(to: URL(fileURLWithPath: truthPath))
        let empty = try BeaconEvaluation.evaluate(beaconsPath: directory + "/beacons.ndjson.zst", truthPath: truthPath)
        #expect(empty.falseAlarms == ["147.32.80.37>141.193.213.20:443/tcp"] && empty.precision == 0)
        #expect(throws: AnalysisError.self) {
            try BeaconEvaluation.evaluate(beaconsPath: directory + "/missing.ndjson", truthPath: truthPath)
        }
    }
}
