import Foundation
import Output
import Testing

@testable import MedFlow

/// The result files do not depend on `--workers`: flow shards, pairing shards, decoding tasks and sink
/// queues change with it, the findings files must not, byte for byte. The flows file holds the same lines;
/// their order follows the pipeline steps in which flows end, and a capture's steps are sized by the
/// worker count.
@Suite("Worker count")
struct WorkerCountTests {
    static let hospital = SharedCaptures.projectRoot.appendingPathComponent("datasets/hospital-2h").path

    /// Every result file of one run (uncompressed), by name; `summary.json` is left out (it records timings).
    static func results(inputs: [String], policy: String?, workers: Int) throws -> [String: Data] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("medflow-workers-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = AnalyzeOptions(pipeline: PipelineOptions(inputs: inputs, workers: workers), outputDirectory: folder,
                                     writeFlows: true, compression: .none)
        options.policyPath = policy
        _ = try Analyzer.analyze(options)
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name != "summary.json" {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return files
    }

    @Test("the bundled hospital capture gives the same files with 1, 2 and 3 workers")
    func capture() throws {
        let one = try Self.results(inputs: [Self.hospital + ".pcap.zst"], policy: Self.hospital + ".policy.yaml", workers: 1)
        #expect(Set(one.keys) == ["beacons.ndjson", "egress.ndjson", "fanout.ndjson", "flows.ndjson"])
        #expect(one.values.allSatisfy { !$0.isEmpty })
        for workers in [2, 3] {
            let other = try Self.results(inputs: [Self.hospital + ".pcap.zst"], policy: Self.hospital + ".policy.yaml",
                                         workers: workers)
            for (name, data) in one where name != "flows.ndjson" {
                #expect(other[name] == data, "\(name) differs with \(workers) workers")
            }
            #expect(other["flows.ndjson"].map(Self.sortedLines) == one["flows.ndjson"].map(Self.sortedLines))
        }
    }

    static func sortedLines(_ data: Data) -> [Substring] {
        String(decoding: data, as: UTF8.self).split(separator: "\n").sorted()
    }

    @Test("nfdump archives give the same files with 1, 2 and 3 workers",
          .enabled(if: SharedCaptures.available, "../shared/captures is not present"))
    func nfdump() throws {
        let inputs = ["conv_pcapd_none.nfcapd", "conv_v9_none.nfcapd", "conv_v9_lz4.nfcapd"].map { SharedCaptures.path("flows/" + $0) }
        let one = try Self.results(inputs: inputs, policy: nil, workers: 1)
        #expect(one["flows.ndjson"].map { !$0.isEmpty } == true)
        for workers in [2, 3] {
            let other = try Self.results(inputs: inputs, policy: nil, workers: workers)
            for (name, data) in one { #expect(other[name] == data, "\(name) differs with \(workers) workers") }
        }
    }
}
