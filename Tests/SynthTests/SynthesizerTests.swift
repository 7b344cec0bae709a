import Foundation
import Testing

@testable import Synth

/// A fresh temporary directory for one test.
func temporaryDirectory(_ name: String) throws -> String {
    let path = NSTemporaryDirectory() + "medflow-synth-\(name)-\(UUID().uuidString)"
    try? FileManager.default.removeItem(atPath: path)
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite struct SynthesizerTests {
    static func hospital(_ output: String, seed: UInt64 = 7, hours: Double = 0.25, configure: (inout SynthOptions) -> Void = { _ in })
        throws -> SynthResult {
        var options = SynthOptions(scenario: .hospital, hours: hours, seed: seed, output: output,
                                   start: SynthOptions.defaultStart + 9 * 3_600_000_000_000, uploadBytes: 2_000_000,
                                   workstations: 32)
        configure(&options)
        return try Synthesizer.run(options)
    }

    @Test func sameSeedGivesIdenticalFilesAndAnotherSeedDoesNot() throws {
        let directory = try temporaryDirectory("determinism")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try Self.hospital(directory + "/a.pcap.zst")
        _ = try Self.hospital(directory + "/b.pcap.zst")
        _ = try Self.hospital(directory + "/c.pcap.zst", seed: 8)
        func data(_ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)) }
        #expect(try data("a.pcap.zst") == data("b.pcap.zst"))
        #expect(try data("a.policy.yaml") == data("b.policy.yaml"))
        let truthA = try String(decoding: data("a.truth.json"), as: UTF8.self)
        let truthB = try String(decoding: data("b.truth.json"), as: UTF8.self)
        #expect(truthA.replacingOccurrences(of: "a.pcap", with: "x").replacingOccurrences(of: "a.policy", with: "x")
            == truthB.replacingOccurrences(of: "b.pcap", with: "x").replacingOccurrences(of: "b.policy", with: "x"))
        #expect(try data("a.pcap.zst") != data("c.pcap.zst"))
    }

    @Test func bulkIsDeterministicAndWritesExactlyThePacketCount() throws {
        let directory = try temporaryDirectory("bulk")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var results: [Data] = []
        for name in ["a", "b"] {
            let result = try Synthesizer.run(SynthOptions(scenario: .bulk, seed: 3, output: directory + "/\(name).pcap",
                                                          snaplen: 128, ipv6Share: 0.3, packets: 20_000))
            #expect(result.truth.packets == 20_000 && result.policyPath == directory + "/\(name).policy.yaml")
            #expect(try String(contentsOfFile: result.policyPath ?? "", encoding: .utf8).contains("name: devices"))
            results.append(try Data(contentsOf: URL(fileURLWithPath: directory + "/\(name).pcap")))
        }
        #expect(results[0] == results[1])
        let capture = try ReadBackCapture(path: directory + "/a.pcap")
        #expect(capture.records.count == 20_000 && capture.snaplen == 128)
        #expect(capture.records.allSatisfy { $0.frame.count <= 128 && $0.frame.count <= $0.wireLength })
    }

    /// Every frame: valid IPv4 header checksum, IP length matching the frame, transport checksum, time order.
    @Test(arguments: [VLANMode.none, .single(100), .perZone])
    func everyFrameHasConsistentHeaders(vlan: VLANMode) throws {
        let directory = try temporaryDirectory("headers")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try Self.hospital(directory + "/h.pcap") { $0.vlan = vlan; $0.ipv6Share = 0.5 }
        let capture = try ReadBackCapture(path: result.capturePaths[0])
        #expect(UInt64(capture.records.count) == result.truth.packets)
        var previous: Int64 = 0
        var tagged = 0
        var ipv6 = 0
        for record in capture.records {
            let frame = record.frame
            #expect(frame.count == record.wireLength)
            let (ip, type) = FrameChecks.ipStart(frame)
            if ip > 14 { tagged += 1 }
            if type == 0x0800 {
                #expect(FrameChecks.foldedSum(frame[ip..<(ip + 20)]) == 0xFFFF)
                #expect(Int(frame[ip + 2]) << 8 | Int(frame[ip + 3]) == frame.count - ip)
            } else {
                #expect(type == 0x86DD)
                ipv6 += 1
                #expect(Int(frame[ip + 4]) << 8 | Int(frame[ip + 5]) == frame.count - ip - 40)
            }
            #expect(FrameChecks.transportChecksumValid(frame))
            #expect(record.time >= previous)
            previous = record.time
        }
        #expect(tagged == (vlan == .none ? 0 : capture.records.count))
        #expect(ipv6 > 0)
    }

    @Test func pcapngAndRotationHoldTheSamePackets() throws {
        let directory = try temporaryDirectory("formats")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let plain = try Self.hospital(directory + "/p.pcap")
        let pcapng = try Self.hospital(directory + "/n.pcapng") { $0.nanoseconds = true }
        let rotated = try Self.hospital(directory + "/r.pcap") { $0.rotateSeconds = 300 }
        #expect(rotated.capturePaths.map { ($0 as NSString).lastPathComponent } == ["r-0000.pcap", "r-0001.pcap", "r-0002.pcap"])
        #expect(rotated.truth.captures == ["r-0000.pcap", "r-0001.pcap", "r-0002.pcap"])
        let reference = try ReadBackCapture(path: plain.capturePaths[0]).records
        let ng = try ReadBackCapture(path: pcapng.capturePaths[0])
        #expect(ng.nanoseconds)
        #expect(ng.records.map(\.frame) == reference.map(\.frame))
        #expect(zip(ng.records, reference).allSatisfy { $0.time / 1000 == $1.time / 1000 })
        var parts: [ReadBackCapture.Record] = []
        for (index, path) in rotated.capturePaths.enumerated() {
            let records = try ReadBackCapture(path: path).records
            let windowStart = SynthOptions.defaultStart + 9 * 3_600_000_000_000 + Int64(index) * 300_000_000_000
            #expect(records.allSatisfy { $0.time >= windowStart && $0.time < windowStart + 300_000_000_000 })
            parts += records
        }
        #expect(parts.map(\.frame) == reference.map(\.frame))
        #expect(plain.truth.packets == pcapng.truth.packets && plain.truth.wireBytes == rotated.truth.wireBytes)
    }

    @Test func badOptionsAreRefusedWithOneLine() {
        #expect(throws: SynthError.self) { try Synthesizer.run(SynthOptions(hours: 0, output: "/tmp/x.pcap")) }
        #expect(throws: SynthError.self) { try Synthesizer.run(SynthOptions(output: "/tmp/x.pcap", snaplen: 10)) }
        #expect(throws: SynthError.self) { try Synthesizer.run(SynthOptions(output: "/tmp/x.pcap", vlan: .single(5000))) }
        do {
            _ = try Synthesizer.run(SynthOptions(hours: 0.01, output: "/nonexistent-dir/x.pcap"))
            Issue.record("writing into a missing directory must fail")
        } catch {
            #expect(error.description.contains("/nonexistent-dir/"))
        }
    }
}
