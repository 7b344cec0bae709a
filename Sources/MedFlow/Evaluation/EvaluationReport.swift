public import Foundation

/// How findings compare with a synthetic capture's ground truth: one section per detector.
///
/// Precision and recall are `nil` (absent in JSON) where they are undefined: no findings, or nothing
/// to find. A detector whose findings file is absent has `status` "not run" and no scores.
public struct EvaluationReport: Codable, Sendable {
    /// One missed or extra item, with the truth's label where there is one.
    public struct Item: Codable, Sendable, Equatable {
        /// `src → dst:dport/proto`.
        public var key: String
        /// The truth's label (misses) or empty (false alarms).
        public var label: String?
        /// Extra detail (e.g. the reasons of a reason mismatch).
        public var detail: String?
    }

    /// A found planted beacon and how well its period was estimated.
    public struct FoundBeacon: Codable, Sendable, Equatable {
        /// `src → dst:dport/proto` of the beacon.
        public var key: String
        /// The truth's label.
        public var label: String
        /// The truth's expected interval (`mean_interval_s`, else `period_s`).
        public var periodS: Double
        /// The finding's `period_s`.
        public var estimatedPeriodS: Double?
        /// |estimated − period| / period.
        public var relativeError: Double?

        enum CodingKeys: String, CodingKey {
            case key, label
            case periodS = "period_s", estimatedPeriodS = "estimated_period_s", relativeError = "relative_error"
        }
    }

    /// The scores of one detector.
    public struct Section: Codable, Sendable {
        /// "ok" or "not run".
        public var status: String
        /// The findings file read.
        public var file: String?
        /// Findings lines read.
        public var findings: Int
        /// Lines that were not JSON objects or lacked key fields.
        public var skippedLines: Int
        /// Truth items.
        public var truth: Int
        /// Truth items the recall counts (beacons: at least `min_connections` connections).
        public var eligible: Int
        /// Findings that match a truth item.
        public var truePositives: Int
        /// truePositives / findings (beacons: against planted ∪ benign periodic).
        public var precision: Double?
        /// Beacons only: findings that are planted beacons / findings.
        public var maliciousPrecision: Double?
        /// Found eligible truth items / eligible.
        public var recall: Double?
        /// Eligible truth items not found.
        public var misses: [Item]
        /// Findings matching no truth item.
        public var falseAlarms: [Item]
        /// Egress only: keys found with a different reason.
        public var reasonMismatches: [Item]?
        /// Beacons only: every found planted beacon with its period error.
        public var found: [FoundBeacon]?
        /// Beacons only: median relative period error of found beacons.
        public var medianPeriodError: Double?
        /// Beacons only: share of found beacons within 5 % of the period.
        public var periodWithin5Percent: Double?

        enum CodingKeys: String, CodingKey {
            case status, file, findings, truth, eligible, precision, recall, misses, found
            case skippedLines = "skipped_lines", truePositives = "true_positives"
            case maliciousPrecision = "malicious_precision", falseAlarms = "false_alarms"
            case reasonMismatches = "reason_mismatches", medianPeriodError = "median_period_error"
            case periodWithin5Percent = "period_within_5pct"
        }

        /// A detector whose findings file is absent.
        static func notRun(truth: Int, eligible: Int) -> Section {
            Section(status: "not run", file: nil, findings: 0, skippedLines: 0, truth: truth, eligible: eligible,
                    truePositives: 0, precision: nil, maliciousPrecision: nil, recall: nil, misses: [], falseAlarms: [])
        }
    }

    /// The truth file.
    public var truthFile: String
    /// The findings directory.
    public var findingsDirectory: String
    /// Planted beacons with fewer connections do not count towards recall.
    public var minConnections: Int
    /// Beacon detector scores.
    public var beacons: Section
    /// Egress detector scores.
    public var egress: Section
    /// Fan-out detector scores.
    public var fanout: Section
    /// Upload flags on egress findings.
    public var uploads: Section

    enum CodingKeys: String, CodingKey {
        case beacons, egress, fanout, uploads
        case truthFile = "truth", findingsDirectory = "findings_dir", minConnections = "min_connections"
    }

    /// The report as pretty JSON with sorted keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// A compact table for the terminal, then the misses and false alarms.
    public var text: String {
        var lines = ["detector  status    findings  truth  eligible  TP   precision        recall  notes"]
        for (name, section) in [("beacons", beacons), ("egress", egress), ("fanout", fanout), ("uploads", uploads)] {
            var precision = Self.format(section.precision)
            if let malicious = section.maliciousPrecision { precision += "/" + Self.format(malicious) }
            var notes = ""
            if let within = section.periodWithin5Percent, let found = section.found {
                notes = "period within 5 %: \(Self.format(within)) of \(found.count)"
            }
            if let mismatches = section.reasonMismatches, !mismatches.isEmpty { notes = "\(mismatches.count) reason mismatches" }
            if section.skippedLines > 0 { notes += " \(section.skippedLines) bad lines skipped" }
            lines.append(Self.pad(name, 10) + Self.pad(section.status, 10) + Self.pad(String(section.findings), 10)
                + Self.pad(String(section.truth), 7) + Self.pad(String(section.eligible), 10)
                + Self.pad(String(section.truePositives), 5) + Self.pad(precision, 17) + Self.pad(Self.format(section.recall), 8)
                + notes)
        }
        if beacons.maliciousPrecision != nil { lines.append("(beacon precision: periodic / malicious)") }
        for (name, section) in [("beacons", beacons), ("egress", egress), ("fanout", fanout), ("uploads", uploads)] {
            for miss in section.misses { lines.append("  \(name) miss: \(miss.key) \(miss.label ?? "")") }
            for alarm in section.falseAlarms { lines.append("  \(name) false alarm: \(alarm.key)") }
            for mismatch in section.reasonMismatches ?? [] {
                lines.append("  \(name) reason mismatch: \(mismatch.key) \(mismatch.detail ?? "")")
            }
        }
        return lines.joined(separator: "\n")
    }

    static func format(_ value: Double?) -> String {
        guard let value else { return "–" }
        return String(format: "%.3f", value)
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
