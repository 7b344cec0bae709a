import FlowModel
import Flows
import Foundation
import Ingest
import Output
import Testing

@testable import MedFlow

/// Reads a result file back through medflow's own decompressors.
func readBack(_ path: String) throws -> String {
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
}

/// Every scratch path of this test process lies under one directory, removed when the process exits (the
/// tests used to leave thousands of result directories and captures in /tmp).
private let scratchRoot = FileManager.default.temporaryDirectory
    .appendingPathComponent("medflow-tests-\(ProcessInfo.processInfo.processIdentifier)").path
private let scratchRootCreated: Bool = {
    try? FileManager.default.createDirectory(atPath: scratchRoot, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: scratchRoot) }
    return true
}()

/// A fresh path (not created) under the process's scratch directory; callers add a file extension or
/// use it as an output directory.
func temporaryDirectory() -> String {
    _ = scratchRootCreated
    return (scratchRoot as NSString).appendingPathComponent("out-\(UUID())")
}

@Suite(.enabled(if: SharedCaptures.available, "../shared/captures is absent"))
struct AnalyzerOutputTests {
    static let capture = SharedCaptures.path("test-cc-2.pcap")

    @Test(arguments: OutputCompression.allCases, OutputFormat.allCases)
    func flowsFileReadsBackInEveryEncoding(compression: OutputCompression, format: OutputFormat) throws {
        let out = temporaryDirectory()
        let summary = try Analyzer.analyze(AnalyzeOptions(
            pipeline: PipelineOptions(inputs: [Self.capture]), outputDirectory: out, writeFlows: true,
            compression: compression, format: format))
        let path = try #require(summary.outputs["flows"])
        #expect(path.hasSuffix("flows" + format.fileExtension + compression.fileExtension))
        let lines = try readBack(path).split(separator: "\n").map(String.init)
        switch format {
        case .ndjson:
            #expect(UInt64(lines.count) == summary.totals.flows)
            var packets: UInt64 = 0
            for line in lines {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                #expect(Set(object.keys) == Set(FlowBatch.fieldNames))
                packets += (object["packets_out"] as! NSNumber).uint64Value + (object["packets_in"] as! NSNumber).uint64Value
                #expect((object["first_seen"] as! String).hasSuffix("Z"))
            }
            #expect(packets == 1084)
        case .csv:
            #expect(lines.first == FlowBatch.fieldNames.joined(separator: ","))
            #expect(UInt64(lines.count - 1) == summary.totals.flows)
            let widths = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).count }
            #expect(widths.allSatisfy { $0 == 15 })
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func summaryJSONHoldsTheTotals() throws {
        let out = temporaryDirectory()
        _ = try Analyzer.analyze(AnalyzeOptions(pipeline: PipelineOptions(inputs: [Self.capture]), outputDirectory: out))
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(totals["packets"] as? Int == 1084 && totals["bytes"] as? Int == 246_751)
        #expect(totals["flow_packets"] as? Int == 1084 && totals["flow_bytes"] as? Int == 246_751)
        let input = try #require((json["inputs"] as? [[String: Any]])?.first)
        #expect(input["format"] as? String == "pcap" && input["link_type"] as? String == "EN10MB")
        #expect(input["first_seen"] as? String == "2024-02-13T14:34:38.788187000Z")
        #expect((json["peak_rss_bytes"] as? Int ?? 0) > 0)
        let options = try #require(json["options"] as? [String: String])
        #expect(options["huge_pages"] == (HugePages.wanted ? "true" : "false"))
        #expect(json["outputs"] as? [String: String] == ["summary": out + "/summary.json", "fanout": out + "/fanout.ndjson.zst",
                                                         "beacons": out + "/beacons.ndjson.zst"])
        #expect(json["findings"] as? [String: Int] == ["fanout": 0, "beacons": 1])
    }

    @Test func flowsCommandPicksEncodingFromTheFileName() {
        #expect(Analyzer.encoding(forPath: "x/flows.csv.zst") == (.csv, .zstd))
        #expect(Analyzer.encoding(forPath: "flows.ndjson.lz4") == (.ndjson, .lz4))
        #expect(Analyzer.encoding(forPath: "flows.json") == (.ndjson, .none))
        #expect(Analyzer.encoding(forPath: "FLOWS.CSV") == (.csv, .none))
    }
}

@Suite struct AnalyzerErrorTests {
    @Test func notACaptureNamesFileAndOffset() throws {
        let path = temporaryDirectory() + ".pcap"
        try Data("GET / HTTP/1.1\r\n".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: AnalysisError.self) {
            try Analyzer.analyze(AnalyzeOptions(pipeline: PipelineOptions(inputs: [path]), outputDirectory: temporaryDirectory()))
        }
        #expect(error?.description == "\(path): unknown file format at byte 0: magic 0x20544547 is not pcap, pcapng, zstd or lz4")
        #expect(error?.exitCode == 65)
    }

    @Test func missingInputAndBadFilterAreUsageOrDataErrors() throws {
        let missing = #expect(throws: AnalysisError.self) {
            try Analyzer.analyze(AnalyzeOptions(pipeline: PipelineOptions(inputs: ["/nonexistent/x.pcap"]),
                                                outputDirectory: temporaryDirectory()))
        }
        #expect(missing?.description == "/nonexistent/x.pcap: read error at byte 0: no such file or directory")
        let capture = temporaryDirectory() + ".pcap"
        try Data([0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0] + [UInt8](repeating: 0, count: 8) + [0xFF, 0xFF, 0, 0, 1, 0, 0, 0])
            .write(to: URL(fileURLWithPath: capture))
        let filter = #expect(throws: AnalysisError.self) {
            try Analyzer.analyze(AnalyzeOptions(pipeline: PipelineOptions(inputs: [capture], filter: "port port"),
                                                outputDirectory: temporaryDirectory()))
        }
        #expect(filter?.exitCode == 64)
    }

    @Test func unwritableOutputIsAnOutputError() throws {
        let capture = temporaryDirectory() + ".pcap"
        try Data([0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0] + [UInt8](repeating: 0, count: 8) + [0xFF, 0xFF, 0, 0, 1, 0, 0, 0])
            .write(to: URL(fileURLWithPath: capture))
        let error = #expect(throws: AnalysisError.self) {
            try Analyzer.analyze(AnalyzeOptions(pipeline: PipelineOptions(inputs: [capture]), outputDirectory: capture + "/out"))
        }
        #expect(error?.exitCode == 74)
    }
}
