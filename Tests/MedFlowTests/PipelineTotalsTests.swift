import FlowModel
import Flows
import Foundation
import Ingest
import Testing

@testable import MedFlow

/// Collects every flow a pipeline produces.
final class CollectingSink: FlowSink {
    var flows: [FlowRecord] = []
    var finished = false
    func consume(_ batch: FlowBatch) throws(AnalysisError) { flows += batch.records }
    func finish() throws(AnalysisError) { finished = true }
}

func runPipeline(_ inputs: [String], workers: Int = 2, filter: String? = nil,
                 inputFormat: InputFormat = .auto) throws -> ([FlowRecord], PipelineReport) {
    let sink = CollectingSink()
    var options = PipelineOptions(inputs: inputs, filter: filter, workers: workers)
    options.inputFormat = inputFormat
    let report = try Pipeline(options: options).run(sinks: [sink])
    #expect(sink.finished)
    return (sink.flows, report)
}

@Suite(.enabled(if: SharedCaptures.available, "../shared/captures is absent"))
struct PipelineTotalsTests {
    static let captures = [
        "test-cc-2.pcap", "tapo.pcap", "all_alerts.pcap", "data_exfiltration.pcap", "no_alerts.pcap",
        "unencrypted_hl7.pcap", "flows/lo.pcap", "flows/any_sll2.pcap", "flows/export_v9_v10.pcap",
        "flows/wire_exports.pcap",
    ]

    /// Every packet and every wire byte of a capture ends up in exactly one flow (or is counted as skipped).
    @Test(arguments: captures)
    func flowTotalsEqualTheCapturesOwnTotals(name: String) throws {
        let path = SharedCaptures.path(name)
        let totals = try PcapTotals(path: path)
        let (flows, report) = try runPipeline([path], inputFormat: .pcap)  // export captures read as packets
        #expect(report.inputs.first?.records == totals.records)
        #expect(report.decode.tooShort + report.decode.malformed == 0)
        #expect(flows.reduce(0) { $0 + $1.packets } == totals.records)
        #expect(flows.reduce(0) { $0 + $1.bytes } == totals.wireBytes)
        #expect(report.flowPackets == totals.records && report.flowBytes == totals.wireBytes)
    }

    @Test func everyTCPConnectionOfTheC2CaptureIsExactlyOneFlow() throws {
        let (flows, _) = try runPipeline([SharedCaptures.path("test-cc-2.pcap")])
        let tcp = flows.filter { $0.proto == TransportProtocol.tcp }
        #expect(tcp.count == 22)
        for flow in tcp {
            #expect(flow.src.description == "147.32.80.37" && flow.dstPort == 443)
            #expect(flow.tcpFlagsOut & TCPFlags.syn != 0 && flow.tcpFlagsIn & TCPFlags.syn != 0)
            #expect(flow.endReason == .fin || flow.endReason == .rst)
        }
        #expect(Set(tcp.map(\.srcPort)).count == 22)
    }

    @Test func linkLayerFramesOfTheSmartPlugBecomeLinkFlows() throws {
        let (flows, report) = try runPipeline([SharedCaptures.path("tapo.pcap")])
        #expect(report.decode.linkFrames == 41)
        let link = flows.filter { $0.flags.contains(.link) }
        #expect(link.reduce(0) { $0 + $1.packets } == 41)
        #expect(Set(link.map(\.srcPort)) == [0x0806, 0x888E])
    }

    @Test func workerCountDoesNotChangeTheFlows() throws {
        let inputs = [SharedCaptures.path("test-cc-2.pcap"), SharedCaptures.path("tapo.pcap")]
        let one = try runPipeline(inputs, workers: 1).0
        let two = try runPipeline(inputs, workers: 2).0
        let five = try runPipeline(inputs, workers: 5).0
        #expect(Set(one) == Set(two) && Set(one) == Set(five) && one.count == two.count)
    }

    /// A capture cut into two rotated files, given in the wrong order, is still one timeline.
    @Test func rotatedFilesAreReadInTimestampOrder() throws {
        let path = SharedCaptures.path("test-cc-2.pcap")
        let totals = try PcapTotals(path: path)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = totals.recordRanges[totals.recordRanges.count / 2].lowerBound
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("medflow-rotated-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let early = directory.appendingPathComponent("z-early.pcap"), late = directory.appendingPathComponent("a-late.pcap")
        try (totals.header + data[24..<cut]).write(to: early)
        try (totals.header + data[cut...]).write(to: late)
        let whole = try runPipeline([path]).0
        let (split, report) = try runPipeline([directory.path])
        #expect(report.inputs.map { URL(fileURLWithPath: $0.path).lastPathComponent } == ["z-early.pcap", "a-late.pcap"])
        #expect(Set(split) == Set(whole))
    }

    @Test func bpfFilterSelectsPackets() throws {
        let (flows, report) = try runPipeline([SharedCaptures.path("test-cc-2.pcap")], filter: "tcp port 443")
        #expect(flows.allSatisfy { $0.proto == TransportProtocol.tcp } && flows.count == 22)
        #expect(report.filteredOut == 495)
    }
}
