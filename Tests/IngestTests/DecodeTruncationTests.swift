import FlowModel
import Ingest
import Testing

/// One hand-built frame, the row it must decode to, and how many leading bytes the decoder needs.
struct DecodeCase: Sendable, CustomTestStringConvertible {
    /// The timestamp every test frame is decoded with.
    static let timestamp: Int64 = 1_700_000_000_123_456_789

    var name: String
    var linkType: LinkType
    var frame: [UInt8]
    /// The row the whole frame decodes to (wire length = the frame's length).
    var expected: Packet
    /// The length of the headers the decoder reads: every shorter prefix is too short, every longer
    /// one decodes to ``expected``.
    var headerLength: Int

    var testDescription: String { name }

    /// Whether the expected row is a link row.
    var isLink: Bool { expected.flags.contains(.link) }

    /// A case whose Ethernet frame decodes to an IP packet.
    static func ip(
        _ name: String, _ frame: [UInt8], src: IPAddress, dst: IPAddress, ports: (UInt16, UInt16) = (0, 0),
        proto: UInt8, flags: PacketBatch.Flags = [], tcpFlags: UInt8 = 0, fragmentID: UInt32 = 0, headers: Int
    ) -> DecodeCase {
        ip(name, .ethernet, frame, src: src, dst: dst, ports: ports, proto: proto, flags: flags, tcpFlags: tcpFlags,
           fragmentID: fragmentID, headers: headers)
    }

    /// A case whose frame decodes to an IP packet.
    static func ip(
        _ name: String, _ linkType: LinkType, _ frame: [UInt8], src: IPAddress, dst: IPAddress,
        ports: (UInt16, UInt16) = (0, 0), proto: UInt8, flags: PacketBatch.Flags = [], tcpFlags: UInt8 = 0,
        fragmentID: UInt32 = 0, headers: Int
    ) -> DecodeCase {
        DecodeCase(
            name: name, linkType: linkType, frame: frame,
            expected: Packet(
                timestamp: timestamp, src: src, dst: dst, srcPort: ports.0, dstPort: ports.1, proto: proto,
                flags: flags, tcpFlags: tcpFlags, wireLength: UInt32(frame.count), fragmentID: fragmentID),
            headerLength: headers)
    }

    /// A case whose Ethernet frame decodes to a link row.
    static func link(
        _ name: String, _ frame: [UInt8], src: UInt64, dst: UInt64, etherType: UInt16, headers: Int
    ) -> DecodeCase {
        link(name, .ethernet, frame, src: src, dst: dst, etherType: etherType, headers: headers)
    }

    /// A case whose frame decodes to a link row.
    static func link(
        _ name: String, _ linkType: LinkType, _ frame: [UInt8], src: UInt64, dst: UInt64,
        etherType: UInt16, headers: Int
    ) -> DecodeCase {
        DecodeCase(
            name: name, linkType: linkType, frame: frame,
            expected: Packet(
                timestamp: timestamp, src: IPAddress(high: 0, low: src), dst: IPAddress(high: 0, low: dst),
                srcPort: etherType, dstPort: etherType, proto: 0, flags: .link, wireLength: UInt32(frame.count)),
            headerLength: headers)
    }

    /// Every case of the link-layer and network-layer tables.
    static var all: [DecodeCase] { linkLayerCases + networkCases }
}

/// Every prefix of every valid frame: too short (nothing appended) until the headers are complete,
/// then exactly the full frame's row, and never a crash.
@Suite struct DecodeTruncationTests {
    @Test(arguments: DecodeCase.all)
    func everyPrefixIsTooShortOrTheFullRow(_ testCase: DecodeCase) {
        #expect(testCase.headerLength <= testCase.frame.count, "the header length is beyond the frame")
        let wireLength = UInt32(testCase.frame.count)
        for prefix in 0...testCase.frame.count {
            let (batch, counters) = FrameBuilder.decode(testCase.frame, linkType: testCase.linkType, prefix: prefix)
            #expect(counters.frames == 1)
            #expect(counters.wireBytes == UInt64(wireLength))
            if prefix < testCase.headerLength {
                #expect(batch.isEmpty, "prefix \(prefix) of \(testCase.frame.count) appended a row")
                #expect(counters.tooShort == 1, "prefix \(prefix): \(counters)")
                #expect(counters.skippedBytes == UInt64(wireLength))
                #expect(counters.ipPackets == 0 && counters.linkFrames == 0 && counters.malformed == 0)
            } else {
                #expect(batch.count == 1, "prefix \(prefix) of \(testCase.frame.count): \(counters)")
                guard batch.count == 1 else { return }
                #expect(batch[0] == testCase.expected, "prefix \(prefix) of \(testCase.frame.count)")
                #expect(counters.tooShort == 0 && counters.malformed == 0 && counters.skippedBytes == 0)
                #expect(counters.linkFrames == (testCase.isLink ? 1 : 0))
                #expect(counters.ipPackets == (testCase.isLink ? 0 : 1))
            }
        }
    }

    /// A snap length cut right after the headers keeps the record's (larger) wire length.
    @Test(arguments: DecodeCase.all)
    func snapLengthKeepsTheWireLength(_ testCase: DecodeCase) {
        let (batch, counters) = FrameBuilder.decode(
            testCase.frame, linkType: testCase.linkType, prefix: testCase.headerLength, wireLength: 9000)
        #expect(batch.count == 1)
        guard batch.count == 1 else { return }
        var expected = testCase.expected
        expected.wireLength = 9000
        #expect(batch[0] == expected)
        #expect(counters.wireBytes == 9000)
    }
}
