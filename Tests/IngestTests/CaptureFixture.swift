import Foundation
import FlowModel
import Ingest

/// Builds whole capture files (classic pcap in every variant, pcapng) in memory for reader tests.
enum CaptureFixture {
    /// One record: time in ns, captured bytes, original length (defaults to the captured length).
    struct Record {
        var time: Int64
        var frame: [UInt8]
        var originalLength: UInt32?
    }

    /// A classic pcap file.
    static func pcap(_ records: [Record], bigEndian: Bool = false, nanoseconds: Bool = false,
                     linkType: UInt32 = 1, snapLength: UInt32 = 262_144) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian) { out += $0 } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: bigEndian ? v.bigEndian : v.littleEndian) { out += $0 } }
        u32(nanoseconds ? 0xA1B2_3C4D : 0xA1B2_C3D4)
        u16(2); u16(4); u32(0); u32(0); u32(snapLength); u32(linkType)
        for record in records {
            u32(UInt32(record.time / 1_000_000_000))
            let fraction = record.time % 1_000_000_000
            u32(UInt32(nanoseconds ? fraction : fraction / 1000))
            u32(UInt32(record.frame.count))
            u32(record.originalLength ?? UInt32(record.frame.count))
            out += record.frame
        }
        return out
    }

    /// A little-endian pcapng file: SHB, one IDB (µs or ns resolution), one EPB per record.
    static func pcapng(_ records: [Record], linkType: UInt16 = 1, nanoseconds: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        // Section header block.
        u32(0x0A0D_0D0A); u32(28); u32(0x1A2B_3C4D); u16(1); u16(0)
        u32(0xFFFF_FFFF); u32(0xFFFF_FFFF); u32(28)
        // Interface description block, with if_tsresol = 9 for nanoseconds.
        let idbLength: UInt32 = nanoseconds ? 20 + 12 : 20
        u32(1); u32(idbLength); u16(linkType); u16(0); u32(262_144)
        if nanoseconds { u16(9); u16(1); out += [9, 0, 0, 0]; u16(0); u16(0) }
        u32(idbLength)
        for record in records {
            let padded = (record.frame.count + 3) & ~3
            let length = UInt32(32 + padded)
            let units = UInt64(nanoseconds ? record.time : record.time / 1000)
            u32(6); u32(length); u32(0); u32(UInt32(units >> 32)); u32(UInt32(truncatingIfNeeded: units))
            u32(UInt32(record.frame.count)); u32(record.originalLength ?? UInt32(record.frame.count))
            out += record.frame + [UInt8](repeating: 0, count: padded - record.frame.count)
            u32(length)
        }
        return out
    }

    /// A few varied frames: TCP handshake, UDP, ICMP echo, ARP.
    static func sampleRecords(start: Int64 = 1_700_000_000_123_456_000, count: Int = 12) -> [Record] {
        (0..<count).map { i in
            let frame: [UInt8]
            switch i % 4 {
            case 0: frame = FrameBuilder.ethernet(type: 0x0800, FrameBuilder.ipv4(proto: 6, FrameBuilder.tcp(src: UInt16(40000 + i))))
            case 1: frame = FrameBuilder.ethernet(type: 0x0800, FrameBuilder.ipv4(proto: 17, FrameBuilder.udp(src: 5353, dst: 53, [1, 2, 3])))
            case 2: frame = FrameBuilder.ethernet(type: 0x86DD, FrameBuilder.ipv6(next: 58, FrameBuilder.icmp(type: 128)))
            default: frame = FrameBuilder.ethernet(type: 0x0806, FrameBuilder.arp())
            }
            return Record(time: start + Int64(i) * 1_000_000, frame: frame, originalLength: UInt32(frame.count + i))
        }
    }

    /// One directory per test process for the files ``write(_:name:)`` makes, removed when the process exits.
    private static let scratch: URL = {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("medflow-ingest-tests-\(ProcessInfo.processInfo.processIdentifier)")
        atexit { try? FileManager.default.removeItem(at: CaptureFixture.scratch) }
        return root
    }()

    /// Writes `bytes` to a fresh temporary file and returns its path.
    static func write(_ bytes: [UInt8], name: String) throws -> String {
        let directory = scratch.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// The packets of one chunk, decoded.
    static func decode(_ chunk: RecordChunk) -> [Packet] {
        var batch = PacketBatch()
        var counters = DecodeCounters()
        var filtered: UInt64 = 0
        chunk.decode(with: PacketDecoder(linkType: chunk.header.linkType), filter: nil, into: &batch,
                     counters: &counters, filteredOut: &filtered)
        return (0..<batch.count).map { batch[$0] }
    }

    /// Every packet a reader yields, decoded, with the totals.
    static func readAll(_ reader: any CaptureReader, targetBytes: Int = 1 << 20) throws(ParseError) -> ([Packet], DecodeCounters) {
        let decoder = PacketDecoder(linkType: reader.linkType)
        var batch = PacketBatch()
        var counters = DecodeCounters()
        var filtered: UInt64 = 0
        while let chunk = try reader.nextChunk(targetBytes: targetBytes) {
            chunk.decode(with: decoder, filter: nil, into: &batch, counters: &counters, filteredOut: &filtered)
        }
        return ((0..<batch.count).map { batch[$0] }, counters)
    }
}
