internal import Foundation
import Synth
import Ingest

/// `medflow eval`: scores a findings directory against a synthetic capture's truth file.
public enum Evaluator {
    /// Reads the truth and every findings file and scores them.
    ///
    /// - Parameters:
    ///   - findingsDirectory: The `--out` directory of `medflow analyze`.
    ///   - truthPath: The `NAME.truth.json` written by `medflow synth`.
    ///   - minConnections: Planted beacons with fewer connections are not expected to be found (recall).
    /// - Throws: ``AnalysisError`` naming the file that cannot be read.
    public static func evaluate(findingsDirectory: String, truthPath: String, minConnections: Int = 12)
        throws(AnalysisError) -> EvaluationReport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: findingsDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .usage("\(findingsDirectory): not a directory of findings")
        }
        let truth: GroundTruth
        do {
            truth = try GroundTruth.read(path: truthPath)
        } catch {
            throw .usage("\(truthPath): not a medflow truth file (\(Self.shortReason(error)))")
        }
        let beaconFile = try load("beacons", in: findingsDirectory)
        let egressFile = try load("egress", in: findingsDirectory)
        let fanoutFile = try load("fanout", in: findingsDirectory)
        return EvaluationReport(
            truthFile: truthPath, findingsDirectory: findingsDirectory, minConnections: minConnections,
            beacons: scoreBeacons(beaconFile, truth: truth, minConnections: minConnections),
            egress: scoreEgress(egressFile, truth: truth),
            fanout: scoreFanOut(fanoutFile, truth: truth),
            uploads: scoreUploads(egressFile, truth: truth))
    }

    private static func load(_ detector: String, in directory: String) throws(AnalysisError) -> FindingsFile? {
        guard let path = FindingsFile.locate(detector, in: directory) else { return nil }
        do { return try FindingsFile(path: path) } catch { throw .input(error) }
    }

    private static func shortReason(_ error: any Error) -> String {
        if case DecodingError.keyNotFound(let key, _) = error { return "missing \"\(key.stringValue)\"" }
        if case DecodingError.typeMismatch(_, let context) = error {
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        }
        return String(describing: error).split(separator: "\n").first.map(String.init) ?? "unreadable"
    }

    // MARK: Detectors

    static func scoreBeacons(_ file: FindingsFile?, truth: GroundTruth, minConnections: Int) -> EvaluationReport.Section {
        let planted = Dictionary(truth.beacons.map { (key(of: $0), $0) }, uniquingKeysWith: { first, _ in first })
        let benign = Set(truth.benignPeriodic.map(key(of:)))
        let eligible = planted.filter { $0.value.connections >= minConnections }
        guard let file else { return .notRun(truth: planted.count, eligible: eligible.count) }
        var findings: [FindingKey: [String: Any]] = [:]
        var skipped = file.skippedLines
        for record in file.records {
            guard let key = FindingKey(record) else { skipped += 1; continue }
            findings[key] = findings[key] ?? record
        }
        let maliciousHits = findings.keys.filter { planted[$0] != nil }
        let periodicHits = findings.keys.filter { planted[$0] != nil || benign.contains($0) }
        var found: [EvaluationReport.FoundBeacon] = []
        for key in maliciousHits.sorted() {
            let beacon = planted[key]!
            let period = beacon.meanIntervalS > 0 ? beacon.meanIntervalS : beacon.periodS
            let estimate = (findings[key]?["period_s"] as? NSNumber)?.doubleValue
            found.append(EvaluationReport.FoundBeacon(key: key.description, label: beacon.label, periodS: period,
                                                      estimatedPeriodS: estimate,
                                                      relativeError: estimate.map { abs($0 - period) / period }))
        }
        let errors = found.compactMap(\.relativeError).sorted()
        let recalled = eligible.keys.filter { findings[$0] != nil }.count
        var section = EvaluationReport.Section(
            status: "ok", file: file.path, findings: findings.count, skippedLines: skipped, truth: planted.count,
            eligible: eligible.count, truePositives: maliciousHits.count,
            precision: ratio(periodicHits.count, findings.count), maliciousPrecision: ratio(maliciousHits.count, findings.count),
            recall: ratio(recalled, eligible.count),
            misses: eligible.filter { findings[$0.key] == nil }.keys.sorted()
                .map { EvaluationReport.Item(key: $0.description, label: planted[$0]?.label, detail: nil) },
            falseAlarms: findings.keys.filter { planted[$0] == nil && !benign.contains($0) }.sorted()
                .map { EvaluationReport.Item(key: $0.description, label: nil, detail: nil) })
        section.found = found
        section.medianPeriodError = errors.isEmpty ? nil : errors[errors.count / 2]
        section.periodWithin5Percent = ratio(errors.filter { $0 <= 0.05 }.count, errors.count)
        return section
    }

    static func scoreEgress(_ file: FindingsFile?, truth: GroundTruth) -> EvaluationReport.Section {
        let expected = Dictionary(truth.egress.map {
            (FindingKey(src: $0.src, dst: $0.dst, dport: $0.dport, proto: $0.proto), $0)
        }, uniquingKeysWith: { first, _ in first })
        guard let file else { return .notRun(truth: expected.count, eligible: expected.count) }
        var reasons: [FindingKey: String] = [:]
        var skipped = file.skippedLines
        for record in file.records {
            guard let key = FindingKey(record) else { skipped += 1; continue }
            reasons[key] = reasons[key] ?? (record["reason"] as? String ?? "")
        }
        var section = setScores(found: Set(reasons.keys), expected: Set(expected.keys), labels: expected.mapValues(\.label),
                                file: file, skipped: skipped)
        section.reasonMismatches = reasons.keys.sorted().compactMap { key in
            guard let truth = expected[key], truth.reason != reasons[key] else { return nil }
            return EvaluationReport.Item(key: key.description, label: truth.label,
                                         detail: "found \(reasons[key] ?? ""), truth \(truth.reason)")
        }
        return section
    }

    static func scoreFanOut(_ file: FindingsFile?, truth: GroundTruth) -> EvaluationReport.Section {
        let expected = Dictionary(truth.fanout.map {
            (FindingKey(src: $0.src, dst: "", dport: $0.dport, proto: $0.proto), $0.label)
        }, uniquingKeysWith: { first, _ in first })
        guard let file else { return .notRun(truth: expected.count, eligible: expected.count) }
        var found = Set<FindingKey>()
        var skipped = file.skippedLines
        for record in file.records {
            guard let key = FindingKey(record, withDestination: false) else { skipped += 1; continue }
            found.insert(key)
        }
        return setScores(found: found, expected: Set(expected.keys), labels: expected, file: file, skipped: skipped)
    }

    static func scoreUploads(_ file: FindingsFile?, truth: GroundTruth) -> EvaluationReport.Section {
        let expected = Dictionary(truth.uploads.map {
            (FindingKey(src: $0.src, dst: $0.dst, dport: $0.dport, proto: $0.proto), $0.label)
        }, uniquingKeysWith: { first, _ in first })
        guard let file else { return .notRun(truth: expected.count, eligible: expected.count) }
        var found = Set<FindingKey>()
        for record in file.records where (record["upload"] as? Bool) == true {
            if let key = FindingKey(record) { found.insert(key) }
        }
        return setScores(found: found, expected: Set(expected.keys), labels: expected, file: file, skipped: 0)
    }

    /// Exact set comparison: precision over found, recall over expected, misses and extras listed.
    private static func setScores(found: Set<FindingKey>, expected: Set<FindingKey>, labels: [FindingKey: String],
                                  file: FindingsFile, skipped: Int) -> EvaluationReport.Section {
        let hits = found.intersection(expected)
        return EvaluationReport.Section(
            status: "ok", file: file.path, findings: found.count, skippedLines: skipped, truth: expected.count,
            eligible: expected.count, truePositives: hits.count, precision: ratio(hits.count, found.count),
            maliciousPrecision: nil, recall: ratio(hits.count, expected.count),
            misses: expected.subtracting(found).sorted()
                .map { EvaluationReport.Item(key: $0.description, label: labels[$0], detail: nil) },
            falseAlarms: found.subtracting(expected).sorted()
                .map { EvaluationReport.Item(key: $0.description, label: nil, detail: nil) })
    }

    private static func key(of beacon: GroundTruth.Beacon) -> FindingKey {
        FindingKey(src: beacon.src, dst: beacon.dst, dport: beacon.dport, proto: beacon.proto)
    }

    private static func ratio(_ part: Int, _ whole: Int) -> Double? {
        whole == 0 ? nil : Double(part) / Double(whole)
    }
}
