import FlowModel
import Testing

@testable import Synth

@Suite struct FrameBuilderTests {
    static let client = Host(ip: IPAddress("10.50.2.20")!, mac: 0x024D_0A32_0214, vlan: 0)
    static let server = Host(ip: IPAddress("203.0.113.77")!, mac: Host.gatewayMAC, ttl: 52)
    static let client6 = Host(ip: IPAddress("fd4d:6564:20::1a")!, mac: 0x024D_0A14_011A)
    static let server6 = Host(ip: IPAddress("2001:db8:4000::cd")!, mac: Host.gatewayMAC)

    private func frame(_ builder: FrameBuilder) -> [UInt8] {
        let result = builder.finish()
        return Array(UnsafeRawBufferPointer(start: builder.buffer, count: result.capturedLength))
    }

    @Test(arguments: [0, 1, 5, 6, 1459, 1460])
    func tcpOverIPv4HasValidChecksumsAndLengths(payload: Int) {
        let builder = FrameBuilder(snaplen: 65_535)
        builder.begin(from: Self.client, to: Self.server, proto: TransportProtocol.tcp, sourcePort: 50_000, destinationPort: 443)
        builder.tcpHeader(seq: 1000, ack: 2000, flags: TCPFlags.ack | TCPFlags.psh)
        builder.append([0x17, 0x03, 0x03])  // an odd-length explicit prefix shifts the filler to an odd offset
        builder.appendFiller(count: payload, offset: 1234)
        let bytes = frame(builder)
        #expect(bytes.count == 14 + 20 + 20 + 3 + payload)
        #expect(FrameChecks.foldedSum(bytes[14..<34]) == 0xFFFF)
        #expect(Int(bytes[16]) << 8 | Int(bytes[17]) == bytes.count - 14)
        #expect(FrameChecks.transportChecksumValid(bytes))
    }

    @Test(arguments: [0, 7, 48, 1000])
    func udpAndIPv6ChecksumsVerify(payload: Int) {
        let builder = FrameBuilder(snaplen: 65_535)
        builder.begin(from: Self.client6, to: Self.server6, proto: TransportProtocol.udp, sourcePort: 5353, destinationPort: 53)
        builder.udpHeader()
        builder.appendFiller(count: payload, offset: 10)
        let bytes = frame(builder)
        #expect(bytes.count == 14 + 40 + 8 + payload)
        #expect(Int(bytes[18]) << 8 | Int(bytes[19]) == 8 + payload)  // IPv6 payload length
        #expect(FrameChecks.transportChecksumValid(bytes))
        let checksum = UInt16(bytes[60]) << 8 | UInt16(bytes[61])
        #expect(checksum != 0)
    }

    @Test func vlanTagSitsBeforeTheEthertype() {
        var tagged = Self.client
        tagged.vlan = 52
        let builder = FrameBuilder(snaplen: 65_535)
        builder.begin(from: tagged, to: Self.server, proto: TransportProtocol.tcp, sourcePort: 1, destinationPort: 2)
        builder.tcpHeader(seq: 0, ack: 0, flags: TCPFlags.syn)
        let bytes = frame(builder)
        #expect(Array(bytes[12..<18]) == [0x81, 0x00, 0x00, 52, 0x08, 0x00])
        #expect(bytes.count == 18 + 20 + 24)  // SYN carries the MSS option
        #expect(FrameChecks.foldedSum(bytes[18..<38]) == 0xFFFF)
        #expect(FrameChecks.transportChecksumValid(bytes))
    }

    @Test func snapLengthTruncatesTheCaptureButNotTheHeaders() {
        let full = FrameBuilder(snaplen: 65_535)
        let cut = FrameBuilder(snaplen: 96)
        for builder in [full, cut] {
            builder.begin(from: Self.client, to: Self.server, proto: TransportProtocol.tcp, sourcePort: 1, destinationPort: 443)
            builder.tcpHeader(seq: 5, ack: 6, flags: TCPFlags.ack)
            builder.appendFiller(count: 1400, offset: 0)
        }
        let fullResult = full.finish()
        let cutResult = cut.finish()
        #expect(cutResult.capturedLength == 96 && cutResult.wireLength == fullResult.wireLength)
        let fullBytes = Array(UnsafeRawBufferPointer(start: full.buffer, count: 96))
        let cutBytes = Array(UnsafeRawBufferPointer(start: cut.buffer, count: 96))
        #expect(fullBytes == cutBytes)
    }
}
