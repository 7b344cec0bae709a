import Foundation
import Output
import Testing

@testable import MedFlow
@testable import Synth

/// `medflow eval` against hand-made truth and findings with known answers.
@Suite struct EvaluationTests {
    static func beacon(_ src: String, _ dst: String, period: Double, mean: Double? = nil, connections: Int,
                       malicious: Bool = true, label: String) -> GroundTruth.Beacon {
        GroundTruth.Beacon(src: src, dst: dst, dport: 443, proto: "tcp", kind: "flow", malicious: malicious, periodS: period,
                           meanIntervalS: mean ?? period, jitter: 0.2, jitterKind: "uniform", missRate: 0,
                           connections: connections, firstSeen: "2026-03-02T00:00:00Z", lastSeen: "2026-03-02T01:00:00Z",
                           label: label)
    }

    static let truth = GroundTruth(
        scenario: "hospital", seed: 1, hours: 1, start: "2026-03-02T00:00:00Z", end: "2026-03-02T01:00:00Z",
        capture: "h.pcap", captures: ["h.pcap"], policy: "h.policy.yaml", packets: 10, wireBytes: 1000,
        beacons: [beacon("10.50.2.20", "203.0.113.77", period: 60, connections: 100, label: "A"),
                  beacon("10.50.3.21", "198.51.100.23", period: 300, mean: 375, connections: 50, label: "B"),
                  beacon("10.50.1.10", "45.77.65.211", period: 100, connections: 5, label: "C"),
                  beacon("10.50.4.25", "103.224.182.250", period: 30, connections: 20, label: "D")],
        benignPeriodic: [beacon("10.50.4.20", "10.10.0.30", period: 60, connections: 60, malicious: false, label: "pump")],
        egress: [GroundTruth.Egress(src: "10.50.1.10", zone: "pacs", dst: "47.91.32.14", dport: 443, proto: "tcp",
                                    reason: "external-not-allowed", label: "E1"),
                 GroundTruth.Egress(src: "10.50.2.22", zone: "modality", dst: "10.20.1.10", dport: 445, proto: "tcp",
                                    reason: "internal-not-allowed", label: "E2"),
                 GroundTruth.Egress(src: "185.220.101.47", zone: "modality", dst: "10.50.2.25", dport: 5900, proto: "tcp",
                                    reason: "inbound-from-external", label: "E3")],
        fanout: [GroundTruth.FanOut(src: "10.50.2.22", dport: 445, proto: "tcp", peers: 36, windowS: 90, zone: "modality",
                                    label: "F")],
        uploads: [GroundTruth.Upload(src: "10.50.1.10", dst: "47.91.32.14", dport: 443, proto: "tcp", bytesOut: 60_000_000,
                                     label: "U")],
        policySummary: nil)

    static let beaconLines = [
        #"{"src":"10.50.2.20","dst":"203.0.113.77","dport":443,"proto":"tcp","period_s":61.2}"#,
        #"{"src":"10.50.3.21","dst":"198.51.100.23","dport":443,"proto":6,"period_s":360}"#,
        #"{"src":"10.50.1.10","dst":"45.77.65.211","dport":443,"proto":"tcp","period_s":110}"#,
        #"{"src":"10.50.4.20","dst":"10.10.0.30","dport":443,"proto":"tcp","period_s":60}"#,
        #"{"src":"10.9.9.9","dst":"1.2.3.4","dport":443,"proto":"tcp","period_s":5}"#,
        "this line is not JSON",
    ]
    static let egressLines = [
        #"{"src":"10.50.1.10","dst":"47.91.32.14","dport":443,"proto":"tcp","reason":"external-not-allowed","upload":true}"#,
        #"{"src":"10.50.2.22","dst":"10.20.1.10","dport":445,"proto":"tcp","reason":"external-not-allowed","upload":false}"#,
        #"{"src":"10.50.5.20","dst":"8.8.8.8","dport":53,"proto":"udp","reason":"external-not-allowed","upload":false}"#,
    ]
    static let fanoutLines = [
        #"{"src":"10.50.2.22","dport":445,"proto":"tcp","peers":36}"#,
        #"{"src":"10.20.1.10","dport":3389,"proto":"tcp","peers":25}"#,
    ]

    /// Writes the truth and the given findings files (name → lines) into a fresh directory.
    static func setUp(_ files: [String: [String]]) throws -> (String, String) {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let truthPath = directory + "/h.truth.json"
        try truth.jsonData().write(to: URL(fileURLWithPath: truthPath))
        for (name, lines) in files {
            let compression: OutputCompression = name.hasSuffix(".zst") ? .zstd : name.hasSuffix(".lz4") ? .lz4 : .none
            let file = try OutputFile(path: directory + "/" + name, compression: compression)
            try file.write(Array(lines.joined(separator: "\n").utf8) + [0x0A])
            try file.close()
        }
        return (directory, truthPath)
    }

    @Test func scoresEveryDetectorExactly() throws {
        let (directory, truthPath) = try Self.setUp(["beacons.ndjson": Self.beaconLines, "egress.ndjson.zst": Self.egressLines,
                                                     "fanout.ndjson.lz4": Self.fanoutLines])
        let report = try Evaluator.evaluate(findingsDirectory: directory, truthPath: truthPath, minConnections: 12)
        let beacons = report.beacons
        #expect(beacons.status == "ok" && beacons.findings == 5 && beacons.skippedLines == 1)
        #expect(beacons.truth == 4 && beacons.eligible == 3 && beacons.truePositives == 3)
        #expect(beacons.precision == 0.8 && beacons.maliciousPrecision == 0.6)
        #expect(beacons.recall == 2.0 / 3.0)
        #expect(beacons.misses.map(\.label) == ["D"])
        #expect(beacons.falseAlarms.map(\.key) == ["10.9.9.9 → 1.2.3.4:443/tcp"])
        let errors = Dictionary(uniqueKeysWithValues: (beacons.found ?? []).map { ($0.label, $0.relativeError ?? -1) })
        #expect(abs(errors["A"]! - 0.02) < 1e-12 && abs(errors["B"]! - 0.04) < 1e-12 && abs(errors["C"]! - 0.1) < 1e-12)
        #expect(beacons.periodWithin5Percent == 2.0 / 3.0 && beacons.medianPeriodError.map { abs($0 - 0.04) < 1e-12 } == true)

        let egress = report.egress
        #expect(egress.findings == 3 && egress.truePositives == 2 && egress.precision == 2.0 / 3.0 && egress.recall == 2.0 / 3.0)
        #expect(egress.misses.map(\.label) == ["E3"])
        #expect(egress.falseAlarms.map(\.key) == ["10.50.5.20 → 8.8.8.8:53/udp"])
        #expect(egress.reasonMismatches?.map(\.label) == ["E2"])
        #expect(report.uploads.precision == 1 && report.uploads.recall == 1 && report.uploads.findings == 1)
        #expect(report.fanout.precision == 0.5 && report.fanout.recall == 1)
        #expect(report.fanout.falseAlarms.map(\.key) == ["10.20.1.10 → *:3389/tcp"])

        let json = try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any]
        let beaconJSON = json?["beacons"] as? [String: Any]
        #expect(beaconJSON?["malicious_precision"] as? Double == 0.6 && json?["min_connections"] as? Int == 12)
        #expect(report.text.contains("beacons   ok") && report.text.contains("egress reason mismatch"))
    }

    @Test func absentFindingsFilesAreReportedAsNotRun() throws {
        let (directory, truthPath) = try Self.setUp(["beacons.ndjson.zst": Self.beaconLines])
        let report = try Evaluator.evaluate(findingsDirectory: directory, truthPath: truthPath)
        #expect(report.beacons.status == "ok")
        for section in [report.egress, report.fanout, report.uploads] {
            #expect(section.status == "not run" && section.precision == nil && section.recall == nil && section.findings == 0)
        }
        #expect(report.egress.truth == 3 && report.uploads.truth == 1)
        #expect(report.text.contains("egress    not run"))
    }

    @Test func csvFindingsScoreLikeNDJSON() throws {
        let csv = ["src,dst,dport,proto,period_s,severity",
                   "10.50.2.20,203.0.113.77,443,tcp,61.2,high",
                   "10.50.3.21,198.51.100.23,443,6,360,\"high, \"\"quoted\"\"\"",
                   "10.50.1.10,45.77.65.211,443,tcp,110,medium",
                   "10.50.4.20,10.10.0.30,443,tcp,60,low",
                   "10.9.9.9,1.2.3.4,443,tcp,5,low",
                   "too,few,fields"]
        let egress = ["src,dst,dport,proto,reason,upload",
                      "10.50.1.10,47.91.32.14,443,tcp,external-not-allowed,true"]
        let (directory, truthPath) = try Self.setUp(["beacons.csv.zst": csv, "egress.csv": egress])
        let report = try Evaluator.evaluate(findingsDirectory: directory, truthPath: truthPath)
        #expect(report.beacons.findings == 5 && report.beacons.skippedLines == 1)
        #expect(report.beacons.precision == 0.8 && report.beacons.maliciousPrecision == 0.6 && report.beacons.recall == 2.0 / 3.0)
        #expect(report.beacons.found?.first { $0.label == "B" }?.estimatedPeriodS == 360)
        #expect(report.uploads.recall == 1 && report.egress.truePositives == 1)
        #expect(FindingsFile.csvFields("a,\"b,c\",\"d\"\"e\",") == ["a", "b,c", "d\"e", ""])
    }

    /// Lines that straddle the reader's 1 MiB chunks, and a last line without a newline, are read whole.
    @Test(arguments: ["fanout.ndjson", "fanout.ndjson.zst", "fanout.ndjson.lz4"])
    func linesAcrossChunksAndWithoutAFinalNewlineAreRead(name: String) throws {
        var lines = (0..<30_000).map { #"{"src":"10.20.\#($0 / 250).\#($0 % 250)","dport":445,"proto":"tcp","peers":25,"pad":"\#(String(repeating: "x", count: $0 % 97))"}"# }
        lines.append(#"{"src":"10.50.2.22","dport":445,"proto":"tcp","peers":36}"#)
        let (directory, truthPath) = try Self.setUp([:])
        let compression: OutputCompression = name.hasSuffix(".zst") ? .zstd : name.hasSuffix(".lz4") ? .lz4 : .none
        let file = try OutputFile(path: directory + "/" + name, compression: compression)
        try file.write(Array(lines.joined(separator: "\n").utf8))  // no final newline
        try file.close()
        let report = try Evaluator.evaluate(findingsDirectory: directory, truthPath: truthPath)
        #expect(report.fanout.findings == 30_001 && report.fanout.skippedLines == 0)
        #expect(report.fanout.recall == 1 && report.fanout.falseAlarms.count == 30_000)
    }

    @Test func minConnectionsChangesWhatRecallCounts() throws {
        let (directory, truthPath) = try Self.setUp(["beacons.ndjson": Self.beaconLines])
        let report = try Evaluator.evaluate(findingsDirectory: directory, truthPath: truthPath, minConnections: 3)
        #expect(report.beacons.eligible == 4 && report.beacons.recall == 0.75)
    }

    @Test func unreadableInputsAreOneLineErrors() throws {
        let (directory, truthPath) = try Self.setUp([:])
        #expect(throws: AnalysisError.self) { try Evaluator.evaluate(findingsDirectory: directory + "/missing", truthPath: truthPath) }
        try Data("{\"scenario\": 3}".utf8).write(to: URL(fileURLWithPath: directory + "/bad.json"))
        do {
            _ = try Evaluator.evaluate(findingsDirectory: directory, truthPath: directory + "/bad.json")
            Issue.record("a bad truth file must fail")
        } catch {
            #expect(error.description.hasPrefix(directory + "/bad.json: not a medflow truth file"))
        }
        try Data([0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x01]).write(to: URL(fileURLWithPath: directory + "/egress.ndjson.zst"))
        #expect(throws: AnalysisError.self) { try Evaluator.evaluate(findingsDirectory: directory, truthPath: truthPath) }
    }
}

@Suite(.enabled(if: MedflowBinary.url != nil, "the medflow executable is not built"))
struct SynthEvalCommandLineTests {
    @Test func synthThenEvalOnTheCommandLine() throws {
        let directory = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (status, _, stderr) = try MedflowBinary.run(["synth", "--hours", "0.1", "--seed", "4", "--upload-mb", "1",
                                                         "-o", directory + "/s.pcap.zst"])
        #expect(status == 0 && stderr.contains("truth:"))
        for name in ["s.pcap.zst", "s.truth.json", "s.policy.yaml"] {
            #expect(FileManager.default.fileExists(atPath: directory + "/" + name))
        }
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        let (evalStatus, stdout, _) = try MedflowBinary.run(["eval", directory + "/out", directory + "/s.truth.json",
                                                             "--json", directory + "/e.json"])
        #expect(evalStatus == 0 && stdout.contains("beacons   not run"))
        #expect(FileManager.default.fileExists(atPath: directory + "/e.json"))
        #expect(try MedflowBinary.run(["synth", "--scenario", "nope", "-o", directory + "/x.pcap"]).0 == 64)
        #expect(try MedflowBinary.run(["synth", "--hours", "-1", "-o", directory + "/x.pcap"]).0 == 64)
    }
}
