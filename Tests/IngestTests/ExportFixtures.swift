import FlowModel
import Foundation

/// Builders of tiny NetFlow v5/v9 and IPFIX datagrams for the decoder tests (all big-endian).
struct Bytes {
    var data: [UInt8] = []
    mutating func u8(_ v: UInt8) { data.append(v) }
    mutating func u16(_ v: UInt16) { data += [UInt8(v >> 8), UInt8(v & 0xFF)] }
    mutating func u32(_ v: UInt32) { for shift in stride(from: 24, through: 0, by: -8) { data.append(UInt8((v >> UInt32(shift)) & 0xFF)) } }
    mutating func u64(_ v: UInt64) { u32(UInt32(v >> 32)); u32(UInt32(v & 0xFFFF_FFFF)) }
    mutating func bytes(_ v: [UInt8]) { data += v }
    mutating func ipv6(_ text: String) { let a = IPAddress(text)!; u64(a.high); u64(a.low) }
    mutating func pad(to multiple: Int) { while data.count % multiple != 0 { data.append(0) } }
}

enum ExportFixtures {
    static let exportSeconds: UInt32 = 1_700_000_000

    /// A v5 datagram with `count` TCP records 10.0.0.1:1000+i → 10.0.0.2:80, 3 packets, 300 bytes, from
    /// uptime 4000 to 9000 ms; sysUptime 10 000 ms; `sampling` in the header's low 14 bits.
    static func v5(count: Int = 2, sampling: UInt16 = 0) -> [UInt8] {
        var b = Bytes()
        b.u16(5); b.u16(UInt16(count)); b.u32(10_000); b.u32(exportSeconds); b.u32(500_000_000)
        b.u32(1); b.u8(0); b.u8(0); b.u16(sampling)
        for i in 0..<count {
            b.u32(0x0A00_0001); b.u32(0x0A00_0002); b.u32(0)
            b.u16(1); b.u16(2); b.u32(3); b.u32(300); b.u32(4000); b.u32(9000)
            b.u16(UInt16(1000 + i)); b.u16(80); b.u8(0); b.u8(0x1B); b.u8(6); b.u8(0)
            b.u16(0); b.u16(0); b.u8(24); b.u8(24); b.u16(0)
        }
        return b.data
    }

    /// The v9 template 256 used below: src/dst IPv4, ports, proto, flags, bytes (4), packets (4), first/last uptime.
    static let v9Fields: [(UInt16, UInt16)] = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (1, 4), (2, 4), (22, 4), (21, 4)]
    /// The v9 IPv6 template 257.
    static let v9FieldsV6: [(UInt16, UInt16)] = [(27, 16), (28, 16), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8), (22, 4), (21, 4)]

    /// A v9 header followed by `sets` (each already framed).
    static func v9(sourceID: UInt32 = 1, sets: [[UInt8]]) -> [UInt8] {
        var b = Bytes()
        b.u16(9); b.u16(UInt16(sets.count)); b.u32(10_000); b.u32(exportSeconds); b.u32(7); b.u32(sourceID)
        for set in sets { b.bytes(set) }
        return b.data
    }

    /// A framed set: id, length, body padded to 4 bytes.
    static func set(_ id: UInt16, _ body: [UInt8]) -> [UInt8] {
        var b = Bytes()
        b.u16(id); b.u16(0); b.bytes(body); b.pad(to: 4)
        b.data[2] = UInt8(b.data.count >> 8); b.data[3] = UInt8(b.data.count & 0xFF)
        return b.data
    }

    /// A v9/IPFIX template record body.
    static func templateRecord(_ id: UInt16, _ fields: [(UInt16, UInt16)]) -> [UInt8] {
        var b = Bytes()
        b.u16(id); b.u16(UInt16(fields.count))
        for (type, length) in fields { b.u16(type); b.u16(length) }
        return b.data
    }

    /// One v9 data record for template 256.
    static func v9Record(srcPort: UInt16, packets: UInt32 = 5, bytes: UInt32 = 500) -> [UInt8] {
        var b = Bytes()
        b.u32(0xC0A8_0001); b.u32(0xC0A8_0002); b.u16(srcPort); b.u16(443); b.u8(6); b.u8(0x12)
        b.u32(bytes); b.u32(packets); b.u32(4000); b.u32(9000)
        return b.data
    }

    /// An IPFIX message with `sets`.
    static func ipfix(domain: UInt32 = 42, exportSeconds: UInt32 = exportSeconds, sets: [[UInt8]]) -> [UInt8] {
        var b = Bytes()
        b.u16(10); b.u16(0); b.u32(exportSeconds); b.u32(1); b.u32(domain)
        for set in sets { b.bytes(set) }
        b.data[2] = UInt8(b.data.count >> 8); b.data[3] = UInt8(b.data.count & 0xFF)
        return b.data
    }

    /// IPFIX template 300: src/dst IPv4, ports, proto, an enterprise field (PEN 9, 4 bytes), a variable-length
    /// string (interfaceName 82), a variable-length enterprise field, octets (reduced to 4 bytes), packets
    /// (8), flowStart/EndMilliseconds, samplerId 48.
    static func ipfixTemplate300() -> [UInt8] {
        var b = Bytes()
        b.u16(300); b.u16(12)
        for (type, length) in [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1)] as [(UInt16, UInt16)] { b.u16(type); b.u16(length) }
        b.u16(0x8000 | 1000); b.u16(4); b.u32(9)
        b.u16(82); b.u16(0xFFFF)
        b.u16(0x8000 | 1001); b.u16(0xFFFF); b.u32(9)
        b.u16(1); b.u16(4)
        b.u16(2); b.u16(8)
        b.u16(152); b.u16(8)
        b.u16(153); b.u16(8)
        return set(2, b.data)
    }

    /// A data record for template 300 with a `nameLength`-byte interface name (255+ uses the 3-byte form).
    static func ipfixRecord300(nameLength: Int, enterpriseLength: Int = 3, octets: UInt32 = 1234, packets: UInt64 = 7) -> [UInt8] {
        var b = Bytes()
        b.u32(0x0A01_0203); b.u32(0x0A01_0204); b.u16(5353); b.u16(53); b.u8(17)
        b.u32(0xDEAD_BEEF)
        if nameLength < 255 { b.u8(UInt8(nameLength)) } else { b.u8(255); b.u16(UInt16(nameLength)) }
        b.bytes(Array(repeating: 0x61, count: nameLength))
        b.u8(UInt8(enterpriseLength)); b.bytes(Array(repeating: 0x7A, count: enterpriseLength))
        b.u32(octets); b.u64(packets)
        b.u64(1_700_000_000_250); b.u64(1_700_000_001_750)
        return b.data
    }

    /// A v9 datagram file: each datagram with a 4-byte big-endian length.
    static func lengthPrefixed(_ datagrams: [[UInt8]]) -> [UInt8] {
        var b = Bytes()
        for d in datagrams { b.u32(UInt32(d.count)); b.bytes(d) }
        return b.data
    }
}
