import Foundation
import Output
import Testing

@testable import MedFlow

/// The end-of-input flush reaching the sinks side by side (each sink part on a queue of its own with two
/// workers) writes what one-after-another delivery writes.
///
/// A batch the beacon sink gets whole splits between its detector and burst tracker only from 65 536 flows
/// on; here the threshold is lowered to one flow, so the bundled hospital (5 074 flows, every one still
/// open or lingering at the end) takes that path too.
@Suite struct SideBySideFlushTests {
    static let sample = SharedCaptures.projectRoot.appendingPathComponent("datasets/hospital-2h").path

    /// Analyses the hospital with its policy; returns the summary and the findings files' lines.
    static func run(workers: Int, threshold: Int, blockSlots: Int = 1 << 17) throws
        -> (AnalysisSummary, [String: [Substring]]) {
        var pipeline = PipelineOptions(inputs: [sample + ".pcap.zst"], workers: workers)
        pipeline.sideBySideFlushFlows = threshold
        pipeline.flushBlockSlots = blockSlots
        let directory = temporaryDirectory()
        var options = AnalyzeOptions(pipeline: pipeline, outputDirectory: directory, compression: .none)
        options.policyPath = sample + ".policy.yaml"
        let summary = try Analyzer.analyze(options)
        var files: [String: [Substring]] = [:]
        for name in ["beacons", "egress", "fanout"] {
            let text = try String(contentsOfFile: directory + "/\(name).ndjson", encoding: .utf8)
            files[name] = text.split(separator: "\n")
        }
        return (summary, files)
    }

    @Test func theFlushSideBySideWritesWhatOneAfterAnotherWrites() throws {
        let (serial, serialFiles) = try Self.run(workers: 1, threshold: .max)
        let (parallel, parallelFiles) = try Self.run(workers: 2, threshold: 1)
        #expect(parallel.totals.flows == serial.totals.flows)
        #expect(parallel.totals.flowPackets == serial.totals.flowPackets)
        #expect(parallel.totals.flowBytes == serial.totals.flowBytes)
        #expect(serialFiles["beacons"]!.count > 5 && serialFiles["egress"]!.count > 5 && !serialFiles["fanout"]!.isEmpty)
        for name in ["beacons", "egress", "fanout"] {
            #expect(parallelFiles[name] == serialFiles[name], "\(name)")
        }
    }

    /// The flush in blocks of 512 table slots (about 20 of them here), side by side or not, writes what one
    /// block writes.
    @Test(arguments: [1, 2])
    func theFlushInBlocksWritesWhatOneBlockWrites(workers: Int) throws {
        let (whole, wholeFiles) = try Self.run(workers: workers, threshold: 1)
        let (blocked, blockedFiles) = try Self.run(workers: workers, threshold: 1, blockSlots: 512)
        #expect(blocked.totals.flows == whole.totals.flows)
        #expect(blocked.totals.flowPackets == whole.totals.flowPackets)
        for name in ["beacons", "egress", "fanout"] {
            #expect(blockedFiles[name] == wholeFiles[name], "\(name)")
        }
    }
}
