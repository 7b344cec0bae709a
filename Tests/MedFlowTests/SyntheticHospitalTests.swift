import Foundation
import Testing

@testable import MedFlow

/// A small hospital capture written frame by frame: every egress case the policy knows, a DNS-named
/// allowed destination, an SMB fan-out and a large upload, each with its expected finding.
struct HospitalCapture {
    private(set) var bytes: [UInt8] = []
    private var time: Double = 1_772_409_600  // 2026-03-02T00:00:00Z
    private var port: UInt16 = 40000

    init() {
        append32(0xA1B2_C3D4); append16(2); append16(4); append32(0); append32(0); append32(65535); append32(1)
    }

    private mutating func append16(_ v: UInt16) { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] }
    private mutating func append32(_ v: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((v >> UInt32(shift)) & 0xFF)) } }

    static func v4(_ text: String) -> [UInt8] { text.split(separator: ".").map { UInt8($0)! } }
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

    /// One Ethernet/IPv4 frame; `wire` is the on-wire length when more than the captured bytes.
    mutating func frame(_ src: String, _ dst: String, proto: UInt8, transport: [UInt8], wire: Int? = nil) {
        let ipLength = 20 + transport.count
        let declared = wire.map { $0 - 14 } ?? ipLength
        var frame: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]
        frame += [0x45, 0] + Self.be16(UInt16(declared)) + [0, 0, 0x40, 0, 64, proto, 0, 0] + Self.v4(src) + Self.v4(dst)
        frame += transport
        let seconds = UInt32(time), micros = UInt32((time - Double(seconds)) * 1e6)
        append32(seconds); append32(micros); append32(UInt32(frame.count)); append32(UInt32(wire ?? frame.count))
        bytes += frame
        time += 0.001
    }

    static func tcp(_ sport: UInt16, _ dport: UInt16, flags: UInt8) -> [UInt8] {
        be16(sport) + be16(dport) + [0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]
    }

    /// A whole TCP connection: handshake, `packets` client segments of `size` wire bytes, FIN both ways.
    mutating func connection(_ client: String, _ server: String, _ dport: UInt16, packets: Int = 2, size: Int = 200,
                             handshakeOnly: Bool = false) {
        port += 1
        frame(client, server, proto: 6, transport: Self.tcp(port, dport, flags: 0x02))
        if handshakeOnly { return }
        frame(server, client, proto: 6, transport: Self.tcp(dport, port, flags: 0x12))
        for _ in 0..<packets { frame(client, server, proto: 6, transport: Self.tcp(port, dport, flags: 0x18), wire: size) }
        frame(client, server, proto: 6, transport: Self.tcp(port, dport, flags: 0x11))
        frame(server, client, proto: 6, transport: Self.tcp(dport, port, flags: 0x11))
    }

    /// A DNS query from `client` and the resolver's A answer for `name`.
    mutating func lookup(_ client: String, resolver: String, name: String, address: String) {
        port += 1
        var question: [UInt8] = []
        for label in name.split(separator: ".") { question.append(UInt8(label.utf8.count)); question += label.utf8 }
        question += [0, 0, 1, 0, 1]
        let query = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + question
        let answer = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0] + question
            + [0xC0, 12, 0, 1, 0, 1, 0, 0, 1, 0x2C, 0, 4] + Self.v4(address)
        frame(client, resolver, proto: 17, transport: Self.be16(port) + Self.be16(53) + Self.be16(UInt16(8 + query.count)) + [0, 0] + query)
        frame(resolver, client, proto: 17, transport: Self.be16(53) + Self.be16(port) + Self.be16(UInt16(8 + answer.count)) + [0, 0] + answer)
    }

    mutating func wait(_ seconds: Double) { time += seconds }
}

@Suite("Synthetic hospital: egress, names, upload and fan-out end to end")
struct SyntheticHospitalTests {
    static let policy = """
        zones:
          - name: pacs
            medical: true
            cidrs: [10.50.1.0/24]
            allow:
              - dst: 10.10.0.0/16
              - name: "*.vendor.example"
                ports: [443]
                proto: tcp
          - name: modality
            medical: true
            cidrs: [10.50.2.0/24]
          - name: office
            cidrs: [10.60.0.0/16]
        thresholds:
          upload_bytes: 1000000
          fanout_peers: 10
          fanout_window_s: 60
        """

    @Test("the findings equal the capture's truth exactly")
    func truth() throws {
        var capture = HospitalCapture()
        capture.lookup("10.50.1.20", resolver: "10.10.0.53", name: "support.vendor.example", address: "198.51.100.20")
        capture.connection("10.50.1.20", "198.51.100.20", 443)            // allowed by name
        capture.connection("10.50.1.22", "10.10.5.5", 104)                // allowed by address
        capture.wait(5)
        capture.connection("10.50.1.20", "203.0.113.77", 443)             // C2: external-not-allowed
        capture.connection("10.50.1.20", "198.51.100.20", 8443)           // named, but port not allowed
        capture.connection("10.50.1.21", "203.0.113.99", 443, packets: 800, size: 1500)  // upload
        for peer in 100..<116 {                                            // SMB sweep inside the zone
            capture.connection("10.50.2.9", "10.50.2.\(peer)", 445, handshakeOnly: true)
            capture.wait(1)
        }
        capture.connection("10.50.2.9", "10.60.0.5", 3389)                // internal-not-allowed
        capture.connection("198.51.100.66", "10.50.1.20", 22)             // inbound-from-external
        capture.connection("10.60.0.7", "8.8.8.8", 53)                    // office: not checked
        capture.connection("10.60.0.7", "10.50.2.9", 104)                 // internal into a zone: fine

        let folder = temporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(capture.bytes).write(to: URL(fileURLWithPath: folder + "/hospital.pcap"))
        try Self.policy.write(toFile: folder + "/policy.yaml", atomically: true, encoding: .utf8)
        let options = AnalyzeOptions(pipeline: PipelineOptions(inputs: [folder + "/hospital.pcap"], workers: 2),
                                     outputDirectory: folder + "/out", policyPath: folder + "/policy.yaml")
        let summary = try Analyzer.analyze(options)

        let egress = try readBack(folder + "/out/egress.ndjson.zst").split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let found = Set(egress.map { "\($0["src"]!) \($0["dst"]!) \($0["dport"]!) \($0["proto"]!) \($0["reason"]!) \($0["zone"]!)" })
        #expect(found == [
            "10.50.1.20 203.0.113.77 443 tcp external-not-allowed pacs",
            "10.50.1.20 198.51.100.20 8443 tcp external-not-allowed pacs",
            "10.50.1.21 203.0.113.99 443 tcp external-not-allowed pacs",
            "10.50.2.9 10.60.0.5 3389 tcp internal-not-allowed modality",
            "198.51.100.66 10.50.1.20 22 tcp inbound-from-external pacs",
        ])
        let uploads = egress.filter { $0["upload"] as? Bool == true }.map { "\($0["src"]!) \($0["dst"]!)" }
        #expect(uploads == ["10.50.1.21 203.0.113.99"])
        #expect(egress.first?["src"] as? String == "10.50.1.21" && egress.first?["severity"] as? String == "critical")
        let named = egress.first { $0["dport"] as? Int == 8443 }
        #expect(named?["dns_name"] as? String == "support.vendor.example")

        let fanout = try readBack(folder + "/out/fanout.ndjson.zst").split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(fanout.count == 1)
        #expect(fanout.first?["src"] as? String == "10.50.2.9" && fanout.first?["dport"] as? Int == 445)
        #expect(fanout.first?["peers"] as? Int == 16 && fanout.first?["zone"] as? String == "modality")
        #expect(summary.findings == ["beacons": 0, "egress": 5, "egress_uploads": 1, "fanout": 1, "dns_answers": 1])
    }
}
