import FlowModel
import Ingest
import Testing

/// Shorthands for the frames below.
private typealias F = FrameBuilder

/// A frame whose headers are inconsistent.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    var name: String
    var linkType: LinkType
    var frame: [UInt8]
    var testDescription: String { name }

    static let all: [MalformedCase] = [
        MalformedCase(name: "IPv4 IHL 4", linkType: .ethernet,
                      frame: F.ethernet(type: 0x0800, F.ipv4(proto: 17, ihl: 4, F.udp()))),
        MalformedCase(name: "IPv4 IHL 0", linkType: .raw, frame: F.ipv4(proto: 17, ihl: 0, F.udp())),
        MalformedCase(name: "IPv4 EtherType, version 7", linkType: .ethernet,
                      frame: F.ethernet(type: 0x0800, F.ipv4(proto: 17, version: 7, F.udp()))),
        MalformedCase(name: "IPv4 total length 10", linkType: .ethernet,
                      frame: F.ethernet(type: 0x0800, F.ipv4(proto: 17, totalLength: 10, F.udp()))),
        MalformedCase(name: "IPv4 total length 19", linkType: .ipv4,
                      frame: F.ipv4(proto: 17, totalLength: 19, F.udp())),
        MalformedCase(name: "IPv4 total length below the options", linkType: .ethernet,
                      frame: F.ethernet(type: 0x0800,
                                        F.ipv4(proto: 17, options: [1, 1, 1, 0], totalLength: 20, F.udp()))),
        MalformedCase(name: "IPv6 EtherType, version 4", linkType: .ethernet,
                      frame: F.ethernet(type: 0x86DD, F.ipv6(next: 17, version: 4, F.udp()))),
        MalformedCase(name: "IPV4 link type carrying IPv6", linkType: .ipv4, frame: F.ipv6(next: 17, F.udp())),
        MalformedCase(name: "IPV6 link type carrying IPv4", linkType: .ipv6,
                      frame: F.ipv4(proto: 17, F.udp()) + Array(repeating: 0, count: 20)),
        MalformedCase(name: "NULL AF 2 carrying IPv6", linkType: .null,
                      frame: F.null(family: 2, F.ipv6(next: 17, F.udp()))),
        MalformedCase(name: "PPPoE IPv4 protocol carrying version 5", linkType: .ethernet,
                      frame: F.ethernet(type: 0x8864,
                                        F.pppoe(protocol: 0x0021, F.ipv4(proto: 6, version: 5, F.tcp())))),
    ]
}

/// Inconsistent headers are skipped and counted as malformed; the counters add up and merge.
@Suite struct DecodeMalformedTests {
    @Test(arguments: MalformedCase.all)
    func malformedFrameIsSkipped(_ testCase: MalformedCase) {
        let (batch, counters) = FrameBuilder.decode(testCase.frame, linkType: testCase.linkType, wireLength: 1000)
        #expect(batch.isEmpty)
        var expected = DecodeCounters()
        expected.frames = 1
        expected.wireBytes = 1000
        expected.malformed = 1
        expected.skippedBytes = 1000
        #expect(counters == expected)
    }

    /// Every prefix of a malformed frame is skipped too (as too short or malformed), never appended.
    @Test(arguments: MalformedCase.all)
    func malformedPrefixesAreSkipped(_ testCase: MalformedCase) {
        for prefix in 0...testCase.frame.count {
            let (batch, counters) = FrameBuilder.decode(testCase.frame, linkType: testCase.linkType, prefix: prefix)
            #expect(batch.isEmpty, "prefix \(prefix)")
            #expect(counters.skipped == 1 && counters.skippedBytes == counters.wireBytes, "prefix \(prefix)")
        }
    }

    /// One batch and one set of counters across frames of every outcome.
    @Test func countersAddUpAcrossFrames() {
        let frames: [[UInt8]] = [
            F.ethernet(type: 0x0800, F.ipv4(proto: 6, F.tcp())),  // IP, 54 bytes
            F.ethernet(type: 0x0806, F.arp()),  // link, 42
            Array(F.ethernet(type: 0x0800, F.ipv4(proto: 6, F.tcp())).prefix(30)),  // too short, 30
            F.ethernet(type: 0x0800, F.ipv4(proto: 17, ihl: 3, F.udp())),  // malformed, 42
            F.ethernet(type: 0x86DD, F.ipv6(next: 17, F.udp())),  // IP, 62
        ]
        let decoder = PacketDecoder(linkType: .ethernet)
        var batch = PacketBatch(capacity: 8)
        var counters = DecodeCounters()
        for (index, frame) in frames.enumerated() {
            frame.withUnsafeBytes {
                decoder.decode(
                    frame: $0, wireLength: UInt32(frame.count), timestamp: Int64(index), into: &batch,
                    counters: &counters)
            }
        }
        #expect(counters.frames == 5)
        #expect(counters.wireBytes == 54 + 42 + 30 + 42 + 62)
        #expect(counters.ipPackets == 2 && counters.linkFrames == 1)
        #expect(counters.tooShort == 1 && counters.malformed == 1)
        #expect(counters.skippedBytes == 30 + 42)
        #expect(counters.appended + counters.skipped == counters.frames)
        #expect(batch.count == 3)
        #expect(batch.timestamp == [0, 1, 4])
        #expect(batch.flags == [0, PacketBatch.Flags.link.rawValue, 0])
        #expect(batch.srcPort == [49152, 0x0806, 53000])
        #expect(batch.proto == [6, 0, 17])
    }

    @Test func countersStartAtZero() {
        let zero = DecodeCounters()
        #expect(zero.frames == 0 && zero.wireBytes == 0 && zero.ipPackets == 0 && zero.linkFrames == 0)
        #expect(zero.tooShort == 0 && zero.malformed == 0 && zero.skippedBytes == 0)
    }

    @Test func countersMergeFieldByField() {
        var a = DecodeCounters()
        a.frames = 10
        a.wireBytes = 1000
        a.ipPackets = 6
        a.linkFrames = 2
        a.tooShort = 1
        a.malformed = 1
        a.skippedBytes = 150
        var b = DecodeCounters()
        b.frames = 3
        b.wireBytes = 200
        b.ipPackets = 1
        b.linkFrames = 1
        b.tooShort = 1
        b.skippedBytes = 60

        var merged = a
        merged.merge(b)
        #expect(merged.frames == 13 && merged.wireBytes == 1200 && merged.ipPackets == 7)
        #expect(merged.linkFrames == 3 && merged.tooShort == 2 && merged.malformed == 1)
        #expect(merged.skippedBytes == 210)
        #expect(a + b == merged && b + a == merged)

        var withZero = a
        withZero.merge(DecodeCounters())
        #expect(withZero == a)
    }

    /// Merging the counters of two halves equals decoding everything with one set of counters.
    @Test func mergedShardsEqualOnePass() {
        let frames = DecodeCase.all.map(\.frame)
        let decoder = PacketDecoder(linkType: .ethernet)
        var batch = PacketBatch()
        var whole = DecodeCounters()
        var halves = [DecodeCounters(), DecodeCounters()]
        for (index, frame) in frames.enumerated() {
            frame.withUnsafeBytes {
                decoder.decode(frame: $0, wireLength: UInt32(frame.count), timestamp: 0, into: &batch, counters: &whole)
                decoder.decode(
                    frame: $0, wireLength: UInt32(frame.count), timestamp: 0, into: &batch,
                    counters: &halves[index % 2])
            }
        }
        #expect(halves[0] + halves[1] == whole)
        #expect(whole.frames == UInt64(frames.count))
    }
}
