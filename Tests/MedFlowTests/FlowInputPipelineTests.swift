import FlowModel
import Foundation
import Ingest
import Testing

@testable import MedFlow

/// Flow inputs through the whole pipeline: kind detected from content, records paired, same sinks.
@Suite("Flow inputs in the pipeline", .enabled(if: SharedCaptures.available, "../shared/captures is absent"))
struct FlowInputPipelineTests {
    static let v9Files = ["conv_v9_none.nfcapd", "conv_v9_lzo.nfcapd", "conv_v9_lz4.nfcapd", "conv_v9_bz2.nfcapd"]

    @Test("nfdump files: 19 records pair into the connections of the capture they came from", arguments: v9Files)
    func nfdump(name: String) throws {
        let (flows, report) = try runPipeline([SharedCaptures.path("flows/\(name)")])
        let input = try #require(report.inputs.first)
        #expect(input.format == "nfdump")
        #expect(input.compression == String(name.dropFirst("conv_v9_".count).dropLast(".nfcapd".count)))
        #expect(input.flowInput?.flows == 19)
        #expect(report.flowPackets == 141 && report.flowBytes == 611_564)
        let (packetFlows, _) = try runPipeline([SharedCaptures.path("flows/lo.pcap")])
        #expect(flows.count == packetFlows.count)
        let tcp = flows.filter { $0.proto == TransportProtocol.tcp }
        #expect(tcp.allSatisfy { $0.dstPort == 8765 && $0.packetsIn > 0 })
    }

    @Test("a directory of nfdump files is read like nfdump -R, each file reported")
    func directory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("medflow-flowdir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in Self.v9Files + ["conv_pcapd_none.nfcapd"] {
            try FileManager.default.copyItem(atPath: SharedCaptures.path("flows/\(name)"),
                                             toPath: dir.appendingPathComponent("nfcapd.\(name)").path)
        }
        let (_, report) = try runPipeline([dir.path])
        #expect(report.inputs.count == 5)
        #expect(report.inputs.allSatisfy { $0.format == "nfdump" })
        #expect(report.inputs.reduce(0) { $0 + ($1.flowInput?.flows ?? 0) } == 4 * 19 + 40)
        #expect(report.flowPackets == 5 * 141 && report.flowBytes == 5 * 611_564)
    }

    @Test("a capture of export traffic is recognised and decoded; --input-format pcap reads its packets")
    func exportCapture() throws {
        let path = SharedCaptures.path("flows/wire_exports.pcap")
        let (_, report) = try runPipeline([path])
        let input = try #require(report.inputs.first)
        #expect(input.format == "pcap:netflow-v5+netflow-v9+ipfix")
        #expect(input.flowInput?.flows == 74)
        #expect(report.flowPackets == 558 && report.flowBytes == 2_445_632)
        #expect(input.exportPorts == [2055, 2056, 4739, 9001])
        let (_, packets) = try runPipeline([path], inputFormat: .pcap)
        #expect(packets.inputs.first?.format == "pcap" && packets.flowPackets == 5)
        var options = PipelineOptions(inputs: [path], workers: 1)
        options.exportPort = 4739
        let sink = CollectingSink()
        let one = try Pipeline(options: options).run(sinks: [sink])
        #expect(one.inputs.first?.format == "pcap:ipfix" && one.inputs.first?.exportPorts == [4739])
    }

    @Test("a file of raw datagrams (v5 concatenated) is recognised; summary.json reports the flow input")
    func datagramFile() throws {
        var bytes: [UInt8] = []
        func be(_ v: UInt32, _ n: Int) { for i in (0..<n).reversed() { bytes.append(UInt8((v >> (8 * UInt32(i))) & 0xFF)) } }
        for datagram in 0..<2 {
            be(5, 2); be(1, 2); be(10_000, 4); be(1_700_000_000 + UInt32(datagram), 4); be(0, 4); be(UInt32(datagram), 4); be(0, 4)
            be(0x0A00_0001, 4); be(0x0A00_0002, 4); be(0, 4); be(0, 4)
            be(4, 4); be(400, 4); be(5000, 4); be(9000, 4)
            be(40000 + UInt32(datagram), 2); be(443, 2); be(0, 1); be(0x02, 1); be(6, 1); be(0, 1); be(0, 4); be(0, 4)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("medflow-dg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("exports.bin")
        try Data(bytes).write(to: file)
        let out = dir.appendingPathComponent("out")
        let summary = try Analyzer.exportFlows(PipelineOptions(inputs: [file.path], workers: 1),
                                               to: out.appendingPathExtension("csv").path)
        #expect(summary.inputs.first?.format == "netflow-v5")
        #expect(summary.inputs.first?.flowExport?.records == 2)
        #expect(summary.totals.flowPackets == 8 && summary.totals.flowBytes == 800)
        let json = String(decoding: summary.jsonData(), as: UTF8.self)
        #expect(json.contains("\"flow_export\"") && json.contains("\"dropped_data_sets\" : 0"))
    }

    @Test("a corrupt nfdump file fails with one line naming the file and offset")
    func corruptFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("medflow-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: SharedCaptures.path("flows/conv_v9_none.nfcapd"))))
        bytes[16] = 7
        let path = dir.appendingPathComponent("nfcapd.202611220000").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: AnalysisError.self) { try runPipeline([path]) }
        do { _ = try runPipeline([path]) } catch {
            #expect("\(error)".contains("nfcapd.202611220000: unsupported nfdump compression id 7 at byte 16"))
        }
    }
}
