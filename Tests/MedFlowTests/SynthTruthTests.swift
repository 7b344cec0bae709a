import FlowModel
import Foundation
import Ingest
import Testing

@testable import MedFlow
@testable import Synth

/// The truth file matches the packets: the capture read back through the pipeline gives the planted
/// connection counts, the upload's bytes, the fan-out's peers and a flow for every egress pair.
@Suite struct SynthTruthTests {
    struct Generated {
        var result: SynthResult
        var flows: [FlowRecord]
        var report: PipelineReport
    }

    static func generate(_ name: String, configure: (inout SynthOptions) -> Void = { _ in }) throws -> Generated {
        let directory = NSTemporaryDirectory() + "medflow-synth-truth-\(name)-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = SynthOptions(scenario: .hospital, hours: 1, seed: 11, output: directory + "/h.pcap.zst",
                                   ipv6Share: 0.2, start: SynthOptions.defaultStart + 10 * 3_600_000_000_000,
                                   uploadBytes: 52_000_000, workstations: 32)
        configure(&options)
        let result = try Synthesizer.run(options)
        let (flows, report) = try runPipeline(result.capturePaths)
        return Generated(result: result, flows: flows, report: report)
    }

    static func flows(_ flows: [FlowRecord], src: String, dst: String, dport: Int, proto: String) -> [FlowRecord] {
        flows.filter {
            $0.src.description == src && $0.dst.description == dst && Int($0.dstPort) == dport
                && TransportProtocol.name($0.proto) == proto
        }
    }

    @Test func plantedAndBenignConnectionCountsMatchTheFlows() throws {
        let generated = try Self.generate("counts")
        let truth = generated.result.truth
        #expect(generated.report.flowPackets == truth.packets && generated.report.flowBytes == truth.wireBytes)
        #expect(truth.beacons.count >= 6)
        #expect(Set(truth.beacons.map(\.jitterKind)) == ["none", "uniform", "one-sided"])
        #expect(truth.beacons.contains { $0.kind == "intra-flow" })
        for beacon in truth.beacons + truth.benignPeriodic where !(beacon.kind == "intra-flow" && beacon.proto == "udp") {
            let pair = Self.flows(generated.flows, src: beacon.src, dst: beacon.dst, dport: beacon.dport, proto: beacon.proto)
            let starts = pair.filter { !$0.isContinuation }
            if beacon.kind == "intra-flow" {
                #expect(starts.count == 1, "\(beacon.label): one long session")
            } else {
                #expect(starts.count == beacon.connections, "\(beacon.label) \(beacon.src)")
                if beacon.proto == "tcp" { #expect(starts.allSatisfy { $0.tcpFlagsOut & TCPFlags.syn != 0 }) }
            }
        }
    }

    @Test func uploadFanOutAndEgressPairsAreInTheCapture() throws {
        let generated = try Self.generate("egress")
        let truth = generated.result.truth
        let upload = try #require(truth.uploads.first)
        let uploadFlows = Self.flows(generated.flows, src: upload.src, dst: upload.dst, dport: upload.dport, proto: upload.proto)
        #expect(uploadFlows.reduce(0) { $0 + $1.bytesOut } == upload.bytesOut)
        #expect(upload.bytesOut > 52_000_000)
        let fanout = try #require(truth.fanout.first)
        let peers = Set(generated.flows.filter { $0.src.description == fanout.src && Int($0.dstPort) == fanout.dport }
            .map(\.dst))
        #expect(peers.count == fanout.peers && fanout.peers >= 30 && fanout.windowS <= 120)
        #expect(Set(truth.egress.map(\.reason)) == ["external-not-allowed", "internal-not-allowed", "inbound-from-external"])
        for pair in truth.egress {
            #expect(!Self.flows(generated.flows, src: pair.src, dst: pair.dst, dport: pair.dport, proto: pair.proto).isEmpty,
                    "\(pair.label) \(pair.src) → \(pair.dst)")
        }
    }

    @Test func vlanTagsAndPcapngReadBackWithTheSameTotals() throws {
        let generated = try Self.generate("vlan") {
            $0.vlan = .perZone
            $0.output = $0.output.replacingOccurrences(of: ".pcap.zst", with: ".pcapng.lz4")
            $0.hours = 0.25
            $0.uploadBytes = 1_000_000
        }
        #expect(generated.report.flowPackets == generated.result.truth.packets)
        #expect(generated.report.flowBytes == generated.result.truth.wireBytes)
        #expect(generated.report.decode.malformed == 0 && generated.report.decode.tooShort == 0)
    }
}
