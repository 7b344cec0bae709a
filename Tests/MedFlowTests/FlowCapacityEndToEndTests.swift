import FlowModel
import Flows
import Foundation
import Testing

@testable import MedFlow

/// `--max-flows`: a small flow table ends flows early instead of growing, and loses no packet.
@Suite struct FlowCapacityEndToEndTests {
    static let sample = SharedCaptures.projectRoot.appendingPathComponent("datasets/hospital-2h.pcap.zst").path

    @Test(arguments: [1, 2])
    func aSmallTableEvictsAndKeepsEveryPacket(workers: Int) throws {
        func run(maximumFlows: Int) throws -> AnalysisSummary {
            var pipeline = PipelineOptions(inputs: [Self.sample], workers: workers)
            pipeline.flows = FlowConfiguration(maximumFlows: maximumFlows)
            return try Analyzer.analyze(AnalyzeOptions(pipeline: pipeline, outputDirectory: temporaryDirectory()))
        }
        let unbounded = try run(maximumFlows: 0)
        // Small enough that connections still sending are evicted (and so come back as new flows) whatever
        // the shard hash: at 64 that held for one shard hash and not for the next.
        let bounded = try run(maximumFlows: 32)
        #expect(unbounded.totals.evictedFlows == 0)
        #expect(bounded.totals.evictedFlows > 0)
        // Evicted flows come back as new ones, so there are more flows, but the same packets and bytes.
        #expect(bounded.totals.flows > unbounded.totals.flows)
        #expect(bounded.totals.flowPackets == unbounded.totals.flowPackets)
        #expect(bounded.totals.flowBytes == unbounded.totals.flowBytes)
        #expect(bounded.totals.flowPackets == bounded.totals.packets)
    }
}
