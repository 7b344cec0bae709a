import Foundation
import FlowModel
import Ingest
import Testing

/// The shared real captures (`../shared/captures` next to the package), read as classic pcap by
/// the test itself so that the decoder is checked independently of the capture readers.
enum SharedCaptures {
    /// `<package root>/../shared/captures`, found from this file's path.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // IngestTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .deletingLastPathComponent()
        .appendingPathComponent("shared/captures", isDirectory: true)

    /// Whether the capture `name` (a path below ``directory``) is there.
    static func exists(_ name: String) -> Bool {
        FileManager.default.isReadableFile(atPath: directory.appendingPathComponent(name).path)
    }

    /// Decodes every frame of a little-endian, microsecond classic pcap file with one decoder.
    static func decode(_ name: String) throws -> (batch: PacketBatch, counters: DecodeCounters) {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try data.withUnsafeBytes { (file: UnsafeRawBufferPointer) in
            try #require(file.count >= 24, "\(name): no pcap file header")
            try #require(file.loadUnaligned(as: UInt32.self).littleEndian == 0xA1B2_C3D4, "\(name): not LE µs pcap")
            let linkField = file.loadUnaligned(fromByteOffset: 20, as: UInt32.self).littleEndian
            let linkType = LinkType(rawValue: linkField & 0xFFFF)
            try #require(LinkType.supported.contains(linkType), "\(name): link type \(linkType)")
            let decoder = PacketDecoder(linkType: linkType)
            var batch = PacketBatch(capacity: 1024)
            var counters = DecodeCounters()
            var offset = 24
            while offset < file.count {
                try #require(offset + 16 <= file.count, "\(name): truncated record header at \(offset)")
                func field(_ index: Int) -> UInt32 {
                    file.loadUnaligned(fromByteOffset: offset + 4 * index, as: UInt32.self).littleEndian
                }
                let timestamp = Int64(field(0)) * 1_000_000_000 + Int64(field(1)) * 1_000
                let captured = Int(field(2))
                let wireLength = field(3)
                try #require(offset + 16 + captured <= file.count, "\(name): truncated record at \(offset)")
                let frame = UnsafeRawBufferPointer(rebasing: file[(offset + 16)..<(offset + 16 + captured)])
                decoder.decode(
                    frame: frame, wireLength: wireLength, timestamp: timestamp, into: &batch, counters: &counters)
                offset += 16 + captured
            }
            return (batch, counters)
        }
    }
}

/// Real captures decode to the totals other tools report for them.
@Suite struct DecodeCaptureTests {
    /// A jittered HTTPS beacon plus DNS, all IPv4 over Ethernet.
    @Test(.enabled(if: SharedCaptures.exists("test-cc-2.pcap"), "../shared/captures/test-cc-2.pcap is absent"))
    func beaconCapture() throws {
        let (batch, counters) = try SharedCaptures.decode("test-cc-2.pcap")
        #expect(counters.frames == 1084)
        #expect(counters.ipPackets == 1084)
        #expect(counters.wireBytes == 246_751)
        #expect(counters.skipped == 0 && counters.linkFrames == 0)
        #expect(batch.count == 1084)
        #expect(batch.wireLength.reduce(0) { $0 + UInt64($1) } == 246_751)
        #expect(batch.timestamp == batch.timestamp.sorted())
        let beacon = IPAddress(v4: 0x9320_5025)  // 147.32.80.37
        #expect(batch.srcLow.indices.allSatisfy {
            batch[$0].src == beacon || batch[$0].dst == beacon
        })
    }

    /// A smart plug: TLS, DHCP and DNS over IPv4, plus 32 ARP and 9 EAPOL frames as link rows.
    @Test(.enabled(if: SharedCaptures.exists("tapo.pcap"), "../shared/captures/tapo.pcap is absent"))
    func smartPlugCapture() throws {
        let (batch, counters) = try SharedCaptures.decode("tapo.pcap")
        #expect(counters.frames == 305)
        #expect(counters.linkFrames == 41)
        #expect(counters.ipPackets == 264)
        #expect(counters.wireBytes == 68_595)
        #expect(counters.skipped == 0)
        let linkRows = batch.flags.indices.filter { batch.flags[$0] & PacketBatch.Flags.link.rawValue != 0 }
        #expect(linkRows.filter { batch.srcPort[$0] == 0x0806 }.count == 32)
        #expect(linkRows.filter { batch.srcPort[$0] == 0x888E }.count == 9)
        #expect(linkRows.allSatisfy { batch.proto[$0] == 0 && batch.srcHigh[$0] == 0 && batch.srcLow[$0] >> 48 == 0 })
        let plug = IPAddress(v4: 0x0A2A_00CD)  // 10.42.0.205
        #expect(batch.srcLow.indices.contains { batch[$0].src == plug })
    }

    /// `tcpdump -i any -y LINUX_SLL2`: three pings on loopback.
    @Test(.enabled(
        if: SharedCaptures.exists("flows/any_sll2.pcap"), "../shared/captures/flows/any_sll2.pcap is absent"))
    func linuxSLL2Capture() throws {
        let (batch, counters) = try SharedCaptures.decode("flows/any_sll2.pcap")
        #expect(counters.frames == 6 && counters.ipPackets == 6 && counters.skipped == 0)
        #expect(batch.proto == Array(repeating: TransportProtocol.icmp, count: 6))
        #expect(batch.srcPort == Array(repeating: 0x0800, count: 6))
        #expect(batch.dstPort == batch.srcPort)
        let localhost = IPAddress(v4: 0x7F00_0001)
        #expect((0..<batch.count).allSatisfy { batch[$0].src == localhost && batch[$0].dst == localhost })
    }

    /// A real loopback capture (ping, ping6, HTTP, UDP to closed ports): every frame is an IP packet.
    @Test(.enabled(if: SharedCaptures.exists("flows/lo.pcap"), "../shared/captures/flows/lo.pcap is absent"))
    func loopbackCapture() throws {
        let (batch, counters) = try SharedCaptures.decode("flows/lo.pcap")
        #expect(counters.frames == 141 && counters.ipPackets == 141 && counters.skipped == 0)
        #expect(Set(batch.proto).isSuperset(of: [TransportProtocol.tcp, TransportProtocol.udp]))
    }
}
