public import Foundation
import Ingest

/// `medflow eval`: scores a `beacons.*` NDJSON file against a synthetic hospital's `NAME.truth.json`.
///
/// A truth beacon (planted or benign periodic, keyed by src, dst, dport, proto) is **found** when a
/// finding has its key and a `period_s` within `tolerance` of the truth's mean interval (the period for
/// uniform jitter; `period × (1 + jitter/2)` for `jitter_kind: "one-sided"`, which only adds). A reported
/// pair is **periodic** when its key is any truth beacon.
public struct BeaconEvaluation: Codable, Sendable {
    /// One truth beacon and what was reported for it.
    public struct Entry: Codable, Sendable {
        public var label: String
        public var src: String
        public var dst: String
        public var dport: Int
        public var proto: String
        public var malicious: Bool
        public var connections: Int
        public var expectedPeriodS: Double
        public var reportedPeriodS: Double?
        public var found: Bool
    }

    /// Every truth beacon with at least `minimumConnections`.
    public var beacons: [Entry]
    /// Findings whose key is no truth beacon.
    public var falseAlarms: [String]
    /// Findings in the file.
    public var reported: Int
    /// Share of the truth beacons found with the right period.
    public var recall: Double
    /// Share of the reported pairs that are truth beacons.
    public var precision: Double

    /// Evaluates `beaconsPath` (NDJSON, any compression) against `truthPath`.
    ///
    /// - Parameters:
    ///   - minimumConnections: Truth beacons with fewer connections are not counted.
    ///   - tolerance: Relative period error allowed.
    public static func evaluate(beaconsPath: String, truthPath: String, minimumConnections: Int = 12,
                                tolerance: Double = 0.05) throws(AnalysisError) -> BeaconEvaluation {
        let truth: [String: Any]
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: truthPath))
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw AnalysisError.usage("\(truthPath): not a JSON object")
            }
            truth = object
        } catch let error as AnalysisError {
            throw error
        } catch {
            throw .usage("\(truthPath): cannot read truth: \(error.localizedDescription)")
        }
        var findings: [String: Double] = [:]
        for line in try readText(beaconsPath).split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw .usage("\(beaconsPath): a line is not a JSON object (NDJSON expected)")
            }
            findings[key(object)] = (object["period_s"] as? Double) ?? (object["period_s"] as? Int).map(Double.init)
        }
        var entries: [Entry] = []
        var truthKeys = Set<String>()
        for item in (truth["beacons"] as? [[String: Any]] ?? []) + (truth["benign_periodic"] as? [[String: Any]] ?? []) {
            let key = key(item)
            truthKeys.insert(key)
            let connections = item["connections"] as? Int ?? 0
            guard connections >= minimumConnections else { continue }
            let period = item["period_s"] as? Double ?? 0, jitter = item["jitter"] as? Double ?? 0
            let expected = (item["jitter_kind"] as? String) == "one-sided" ? period * (1 + jitter / 2) : period
            let reported = findings[key]
            entries.append(Entry(label: item["label"] as? String ?? key, src: item["src"] as? String ?? "",
                                 dst: item["dst"] as? String ?? "", dport: item["dport"] as? Int ?? 0,
                                 proto: "\(item["proto"] ?? "")", malicious: item["malicious"] as? Bool ?? false,
                                 connections: connections, expectedPeriodS: expected, reportedPeriodS: reported,
                                 found: reported.map { abs($0 - expected) <= tolerance * expected } ?? false))
        }
        let falseAlarms = findings.keys.filter { !truthKeys.contains($0) }.sorted()
        return BeaconEvaluation(
            beacons: entries, falseAlarms: falseAlarms, reported: findings.count,
            recall: entries.isEmpty ? 1 : Double(entries.filter(\.found).count) / Double(entries.count),
            precision: findings.isEmpty ? 1 : Double(findings.count - falseAlarms.count) / Double(findings.count))
    }

    /// `src>dst:dport/proto`, the same for truth and findings.
    static func key(_ object: [String: Any]) -> String {
        "\(object["src"] ?? "")>\(object["dst"] ?? ""):\(object["dport"] ?? "")/\(object["proto"] ?? "")"
    }

    /// A file's text, decompressed when it is zstd or lz4.
    static func readText(_ path: String) throws(AnalysisError) -> String {
        do throws(ParseError) {
            var stream = try CompressionFormat.open(path: path)
            var bytes: [UInt8] = []
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
            defer { buffer.deallocate() }
            while true {
                let count = try stream.read(into: buffer)
                if count == 0 { break }
                bytes += buffer[..<count]
            }
            return String(decoding: bytes, as: UTF8.self)
        } catch {
            throw .input(InputError(path: path, underlying: error))
        }
    }

    /// The evaluation as pretty JSON with snake_case keys.
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return ((try? encoder.encode(self)) ?? Data()) + Data("\n".utf8)
    }
}
