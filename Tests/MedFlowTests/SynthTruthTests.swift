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
        let directory = NSTemporaryDirectory() + "medflow-synth-truth-\(name)-\(UUID().uuidString)"
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

    /// An independent reading of the synthetic policy (the zones' allow rules, with the vendor name's
    /// DNS answer resolved to its address): every flow a medical zone starts that it does not allow, and
    /// every flow the Internet starts into a medical zone, is in the truth's egress list — and nothing else is.
    @Test func egressTruthIsExactlyWhatThePolicyForbids() throws {
        let generated = try Self.generate("policy") { $0.hours = 1.5 }
        struct Rule { var dst: String; var prefix: Int; var ports: Set<UInt16>; var proto: UInt8 }
        func rule(_ dst: String, _ prefix: Int, _ ports: Set<UInt16>, _ proto: UInt8) -> Rule {
            Rule(dst: dst, prefix: prefix, ports: ports, proto: proto)
        }
        let dns = rule("10.10.0.53", 32, [53], 17), ntp = rule("10.10.0.123", 32, [123], 17)
        let zones: [(name: String, net: String, allow: [Rule])] = [
            ("pacs", "10.50.1.0", [dns, ntp, rule("203.0.113.10", 32, [443], 6)]),
            ("modality", "10.50.2.0", [rule("10.50.1.0", 24, [104, 11112], 6), dns, ntp, rule("198.51.100.40", 32, [443], 6)]),
            ("lab", "10.50.3.0", [rule("10.10.0.20", 32, [2575], 6), dns, ntp]),
            ("pump", "10.50.4.0", [rule("10.10.0.30", 32, [443], 6), ntp]),
            ("monitor", "10.50.5.0", [rule("10.10.0.40", 32, [24105], 17), ntp]),
        ]
        func inside(_ address: IPAddress, _ net: String, _ prefix: Int) -> Bool {
            address.isIPv4 && address.v4 >> UInt32(32 - prefix) == IPAddress(net)!.v4 >> UInt32(32 - prefix)
        }
        func zone(of address: IPAddress) -> String? { zones.first { inside(address, $0.net, 24) }?.name }
        func isInternal(_ address: IPAddress) -> Bool {
            address.isIPv4 ? inside(address, "10.0.0.0", 8) : address.high >> 57 == 0x7E
        }
        var violations = Set<String>()
        for flow in generated.flows where !flow.isContinuation {
            let key = "\(flow.src) \(flow.dst) \(flow.dstPort) \(TransportProtocol.name(flow.proto))"
            if let name = zone(of: flow.src) {
                let rules = zones.first { $0.name == name }!.allow
                let allowed = rules.contains {
                    inside(flow.dst, $0.dst, $0.prefix) && $0.ports.contains(flow.dstPort) && $0.proto == flow.proto
                }
                if !allowed { violations.insert(key + " " + (isInternal(flow.dst) ? "internal" : "external") + "-not-allowed") }
            } else if !isInternal(flow.src), zone(of: flow.dst) != nil {
                violations.insert(key + " inbound-from-external")
            }
        }
        let truth = Set(generated.result.truth.egress.map { "\($0.src) \($0.dst) \($0.dport) \($0.proto) \($0.reason)" })
        #expect(violations == truth)
        #expect(truth.count > 35)
    }
}
