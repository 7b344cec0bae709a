import Foundation
import Testing

@testable import Synth

/// Where tshark is installed, if it is.
let tsharkPath = ["/usr/bin/tshark", "/usr/local/bin/tshark"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite(.enabled(if: tsharkPath != nil, "tshark is not installed"))
struct TsharkCleanlinessTests {
    /// Runs tshark with a display filter and returns its output lines.
    func tshark(_ path: String, filter: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tsharkPath!)
        process.arguments = ["-r", path, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
                             "-o", "udp.check_checksum:TRUE", "-Y", filter]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    static let problems = "_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == 0 "
        + "|| tcp.checksum.status == 0 || udp.checksum.status == 0"

    @Test func hospitalCaptureHasNoMalformedPacketsOrBadChecksums() throws {
        let directory = try temporaryDirectory("tshark")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try SynthesizerTests.hospital(directory + "/h.pcapng", hours: 0.5) { $0.vlan = .perZone; $0.ipv6Share = 0.3 }
        #expect(try tshark(result.capturePaths[0], filter: Self.problems) == [])
        #expect(try tshark(result.capturePaths[0], filter: "dicom.pdu.type == 4").count > 100)
        #expect(try tshark(result.capturePaths[0], filter: "hl7 || dns.cname || ntp").count > 10)
    }

    @Test func bulkCaptureHasNoMalformedPackets() throws {
        let directory = try temporaryDirectory("tshark-bulk")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try Synthesizer.run(SynthOptions(scenario: .bulk, seed: 5, output: directory + "/b.pcap",
                                                      ipv6Share: 0.2, packets: 50_000))
        #expect(try tshark(result.capturePaths[0], filter: Self.problems) == [])
    }
}
