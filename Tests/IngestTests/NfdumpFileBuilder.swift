import CBZ2
import CLZ4
import CLZO
import CZstd
import FlowModel
import Foundation
import Ingest

/// Builds small nfdump 1.7 files (layout 2, little-endian) with V3 records, compressed with any of the
/// four codecs — including ZSTD, which Debian's nfdump 1.7.1 cannot write.
struct NfdumpFileBuilder {
    /// One V3 flow record to write.
    struct Record {
        var src: IPAddress
        var dst: IPAddress
        var srcPort: UInt16
        var dstPort: UInt16
        var proto: UInt8
        var firstMs: UInt64
        var lastMs: UInt64
        var packets: UInt64
        var bytes: UInt64
    }

    var compression: NfdumpCompression
    var blocks: [[Record]]

    /// Little-endian appends.
    struct LE {
        var data: [UInt8] = []
        mutating func int<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data += $0 } }
    }

    /// The bytes of one V3 record: [ipv4|ipv6, generic, misc] (the nfcapd order), or [generic, ipv4].
    static func v3(_ r: Record, genericFirst: Bool = false) -> [UInt8] {
        var address = LE()
        if r.src.isIPv4 {
            address.int(UInt16(2)); address.int(UInt16(12)); address.int(r.src.v4); address.int(r.dst.v4)
        } else {
            address.int(UInt16(3)); address.int(UInt16(36))
            address.int(r.src.high); address.int(r.src.low); address.int(r.dst.high); address.int(r.dst.low)
        }
        var generic = LE()
        generic.int(UInt16(1)); generic.int(UInt16(52))
        generic.int(r.firstMs); generic.int(r.lastMs); generic.int(r.lastMs + 5)
        generic.int(r.packets); generic.int(r.bytes); generic.int(r.srcPort); generic.int(r.dstPort)
        generic.int(r.proto); generic.int(UInt8(0x1B)); generic.int(UInt8(0)); generic.int(UInt8(0))
        var misc = LE()
        misc.int(UInt16(4)); misc.int(UInt16(20)); misc.data += [UInt8](repeating: 0, count: 13); misc.int(UInt8(1)); misc.data += [0, 0]
        let elements = genericFirst ? generic.data + address.data : address.data + generic.data + misc.data
        var record = LE()
        record.int(UInt16(11)); record.int(UInt16(12 + elements.count)); record.int(UInt16(genericFirst ? 2 : 3))
        record.data += [0, 0, 0, 0, 0, 9]
        return record.data + elements
    }

    /// Compresses a payload the way nfdump does for `compression`.
    static func compress(_ plain: [UInt8], _ compression: NfdumpCompression) -> [UInt8] {
        switch compression {
        case .none:
            return plain
        case .lz4:
            var out = [UInt8](repeating: 0, count: Int(LZ4_compressBound(Int32(plain.count))))
            let n = plain.withUnsafeBytes { p in out.withUnsafeMutableBytes { o in
                LZ4_compress_default(p.baseAddress!.assumingMemoryBound(to: CChar.self), o.baseAddress!.assumingMemoryBound(to: CChar.self),
                                     Int32(plain.count), Int32(o.count)) } }
            return Array(out[..<Int(n)])
        case .lzo:
            _ = medflow_lzo_init()
            var out = [UInt8](repeating: 0, count: plain.count + plain.count / 16 + 64 + 3)
            var work = [UInt8](repeating: 0, count: 16384 * 8 * 2)
            var size = lzo_uint(out.count)
            _ = plain.withUnsafeBytes { p in out.withUnsafeMutableBytes { o in work.withUnsafeMutableBytes { w in
                lzo1x_1_compress(p.baseAddress!.assumingMemoryBound(to: UInt8.self), lzo_uint(plain.count),
                                 o.baseAddress!.assumingMemoryBound(to: UInt8.self), &size, w.baseAddress) } } }
            return Array(out[..<Int(size)])
        case .bz2:
            var out = [UInt8](repeating: 0, count: plain.count + plain.count / 100 + 600)
            var size = UInt32(out.count)
            var source = plain
            _ = source.withUnsafeMutableBytes { p in out.withUnsafeMutableBytes { o in
                BZ2_bzBuffToBuffCompress(o.baseAddress!.assumingMemoryBound(to: CChar.self), &size,
                                         p.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(plain.count), 9, 0, 0) } }
            return Array(out[..<Int(size)])
        case .zstd:
            var out = [UInt8](repeating: 0, count: ZSTD_compressBound(plain.count))
            let n = plain.withUnsafeBytes { p in out.withUnsafeMutableBytes { o in
                ZSTD_compress(o.baseAddress, o.count, p.baseAddress, plain.count, 3) } }
            return Array(out[..<n])
        }
    }

    /// A framed block: header with the stored size, then the payload.
    static func block(records: UInt32, payload: [UInt8], type: UInt16 = 3) -> [UInt8] {
        var b = LE()
        b.int(records); b.int(UInt32(payload.count)); b.int(type); b.int(UInt16(0))
        return b.data + payload
    }

    /// The whole file, with an appendix holding an ident and the statistics record.
    func build() -> [UInt8] {
        var body: [UInt8] = []
        var flows: UInt64 = 0, packets: UInt64 = 0, bytes: UInt64 = 0
        for records in blocks {
            let plain = records.flatMap { Self.v3($0) }
            body += Self.block(records: UInt32(records.count), payload: Self.compress(plain, compression))
            for r in records { flows += 1; packets += r.packets; bytes += r.bytes }
        }
        var ident = LE()
        let name = Array("medflow-test".utf8) + [0, 0, 0, 0]
        ident.int(UInt16(0x8001)); ident.int(UInt16(4 + name.count)); ident.data += name
        var stat = LE()
        stat.int(UInt16(0x8002)); stat.int(UInt16(4 + 144))
        let values: [UInt64] = [flows, bytes, packets] + Array(repeating: 0, count: 12) + [1_700_000_000_000, 1_700_000_100_000, 0]
        for v in values { stat.int(v) }
        let appendix = Self.block(records: 2, payload: Self.compress(ident.data + stat.data, compression))
        var header = LE()
        header.int(UInt16(0xA50C)); header.int(UInt16(2)); header.int(UInt32(0x0107_0800)); header.int(Int64(1_700_000_000))
        header.int(compression.rawValue); header.int(UInt8(0)); header.int(UInt16(1)); header.int(UInt32(1))
        header.int(Int64(40 + body.count)); header.int(UInt32(0)); header.int(UInt32(blocks.count))
        return header.data + body + appendix
    }

    /// `count` IPv4/IPv6 records alternating, 10.0.0.x:1000+i → 10.9.0.1:443.
    static func sampleRecords(_ count: Int, base: Int = 0) -> [Record] {
        (0..<count).map { i in
            let v6 = i % 5 == 4
            return Record(src: v6 ? IPAddress("2001:db8::\(i + 1)")! : IPAddress(v4: 0x0A00_0000 | UInt32(i + base + 1)),
                          dst: v6 ? IPAddress("2001:db8::ffff")! : IPAddress(v4: 0x0A09_0001),
                          srcPort: UInt16(1000 + i), dstPort: 443, proto: 6,
                          firstMs: 1_700_000_000_000 + UInt64(i), lastMs: 1_700_000_001_000 + UInt64(i),
                          packets: UInt64(i + 1), bytes: UInt64(100 * (i + 1)))
        }
    }

    /// Removes a file written by ``write(_:name:)`` and its directory.
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(at: URL(fileURLWithPath: path).deletingLastPathComponent())
    }

    /// Writes `bytes` to a fresh temporary file and returns its path (``remove(_:)`` deletes it).
    static func write(_ bytes: [UInt8], name: String = "nfcapd.test") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("medflow-nfdump-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }
}
