import FlowModel
import Ingest

/// Builds test frames byte by byte, one protocol layer at a time, innermost first.
///
/// Each static function returns a layer's header followed by its payload, so frames nest like the
/// protocols: `FrameBuilder.ethernet(type: 0x0800, FrameBuilder.ipv4(proto: 6, FrameBuilder.tcp()))`.
/// Multi-byte fields are written big-endian unless the name says otherwise. Checksums are left 0;
/// the decoder does not read them.
struct FrameBuilder {
    /// The bytes written so far.
    private(set) var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.bigEndian) { bytes += $0 } }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.bigEndian) { bytes += $0 } }
    mutating func u32le(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.bigEndian) { bytes += $0 } }
    /// A 48-bit MAC given as a big-endian integer.
    mutating func mac(_ value: UInt64) {
        for shift in stride(from: 40, through: 0, by: -8) { u8(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
    mutating func zeros(_ count: Int) { bytes += repeatElement(0, count: count) }
    mutating func append(_ more: [UInt8]) { bytes += more }

    /// Runs `body` on an empty builder and returns what it wrote.
    static func build(_ body: (inout FrameBuilder) -> Void) -> [UInt8] {
        var builder = FrameBuilder()
        body(&builder)
        return builder.bytes
    }

    // MARK: - Addresses used throughout

    static let macA: UInt64 = 0x0011_2233_4455
    static let macB: UInt64 = 0x66_77_88_99_AA_BB
    static let v4A: UInt32 = 0x0A00_0001  // 10.0.0.1
    static let v4B: UInt32 = 0xC0A8_0114  // 192.168.1.20
    static let v6A = IPAddress(high: 0x2001_0DB8_0000_0000, low: 0x0000_0000_0000_0001)  // 2001:db8::1
    static let v6B = IPAddress(high: 0xFE80_0000_0000_0000, low: 0x0211_22FF_FE33_4455)  // fe80::211:22ff:fe33:4455

    // MARK: - Link layers

    static func ethernet(dst: UInt64 = macB, src: UInt64 = macA, type: UInt16, _ payload: [UInt8]) -> [UInt8] {
        build { $0.mac(dst); $0.mac(src); $0.u16(type); $0.append(payload) }
    }

    /// A VLAN tag's body after its TPID (the TPID is the enclosing EtherType): TCI, next EtherType.
    static func vlan(id: UInt16, priority: UInt16 = 0, type: UInt16, _ payload: [UInt8]) -> [UInt8] {
        build { $0.u16(priority << 13 | id); $0.u16(type); $0.append(payload) }
    }

    /// An MPLS label stack (bottom-of-stack bit on the last entry), TTL 64.
    static func mpls(labels: [UInt32], _ payload: [UInt8]) -> [UInt8] {
        build { builder in
            for (index, label) in labels.enumerated() {
                builder.u32(label << 12 | (index == labels.count - 1 ? 0x100 : 0) | 64)
            }
            builder.append(payload)
        }
    }

    /// A PPPoE session header and the 2-byte PPP protocol.
    static func pppoe(protocol ppp: UInt16, _ payload: [UInt8]) -> [UInt8] {
        build {
            $0.u8(0x11); $0.u8(0); $0.u16(0x1234); $0.u16(UInt16(payload.count + 2)); $0.u16(ppp)
            $0.append(payload)
        }
    }

    /// A Linux cooked v1 header (packet type 0 "to us", ARPHRD_ETHER).
    static func sll(
        protocol type: UInt16, addressLength: UInt16 = 6, address: UInt64 = macA, _ payload: [UInt8]
    ) -> [UInt8] {
        build {
            $0.u16(0); $0.u16(1); $0.u16(addressLength); $0.mac(address); $0.zeros(2); $0.u16(type)
            $0.append(payload)
        }
    }

    /// A Linux cooked v2 header (interface 3, ARPHRD_ETHER, packet type 4 "outgoing").
    static func sll2(
        protocol type: UInt16, addressLength: UInt8 = 6, address: UInt64 = macA, _ payload: [UInt8]
    ) -> [UInt8] {
        build {
            $0.u16(type); $0.u16(0); $0.u32(3); $0.u16(1); $0.u8(4); $0.u8(addressLength)
            $0.mac(address); $0.zeros(2); $0.append(payload)
        }
    }

    /// A BSD NULL header: the address family in either byte order.
    static func null(family: UInt32, littleEndian: Bool = true, _ payload: [UInt8]) -> [UInt8] {
        build { littleEndian ? $0.u32le(family) : $0.u32(family); $0.append(payload) }
    }

    /// An OpenBSD LOOP header: the address family in network byte order.
    static func loop(family: UInt32, _ payload: [UInt8]) -> [UInt8] {
        build { $0.u32(family); $0.append(payload) }
    }

    /// An ARP request (Ethernet/IPv4, 28 bytes).
    static func arp() -> [UInt8] {
        build {
            $0.u16(1); $0.u16(0x0800); $0.u8(6); $0.u8(4); $0.u16(1)
            $0.mac(macA); $0.u32(v4A); $0.mac(0); $0.u32(v4B)
        }
    }

    // MARK: - Network layers

    /// An IPv4 header; `totalLength`, `version` and `ihl` override the computed values.
    static func ipv4(
        src: UInt32 = v4A, dst: UInt32 = v4B, proto: UInt8, id: UInt16 = 0x1234, fragment: UInt16 = 0x4000,
        options: [UInt8] = [], totalLength: UInt16? = nil, version: UInt8 = 4, ihl: UInt8? = nil, _ payload: [UInt8]
    ) -> [UInt8] {
        precondition(options.count % 4 == 0)
        let headerLength = 20 + options.count
        return build {
            $0.u8(version << 4 | (ihl ?? UInt8(headerLength / 4))); $0.u8(0)
            $0.u16(totalLength ?? UInt16(headerLength + payload.count)); $0.u16(id); $0.u16(fragment)
            $0.u8(64); $0.u8(proto); $0.u16(0); $0.u32(src); $0.u32(dst); $0.append(options); $0.append(payload)
        }
    }

    /// An IPv6 header; `payloadLength` and `version` override the computed values.
    static func ipv6(
        src: IPAddress = v6A, dst: IPAddress = v6B, next: UInt8, payloadLength: UInt16? = nil, version: UInt8 = 6,
        _ payload: [UInt8]
    ) -> [UInt8] {
        build {
            $0.u32(UInt32(version) << 28 | 0x12345); $0.u16(payloadLength ?? UInt16(payload.count)); $0.u8(next)
            $0.u8(64); $0.u64(src.high); $0.u64(src.low); $0.u64(dst.high); $0.u64(dst.low); $0.append(payload)
        }
    }

    /// A hop-by-hop (0), routing (43) or destination options (60) header of `(units + 1) * 8` bytes.
    static func ipv6Options(next: UInt8, units: UInt8 = 0, _ payload: [UInt8]) -> [UInt8] {
        build { $0.u8(next); $0.u8(units); $0.zeros(6 + Int(units) * 8); $0.append(payload) }
    }

    /// An IPv6 fragment header; `offset` in 8-byte units.
    static func ipv6Fragment(next: UInt8, offset: UInt16, more: Bool, id: UInt32, _ payload: [UInt8]) -> [UInt8] {
        build { $0.u8(next); $0.u8(0); $0.u16(offset << 3 | (more ? 1 : 0)); $0.u32(id); $0.append(payload) }
    }

    /// An authentication header with a 12-byte ICV: `(4 + 2) * 4 = 24` bytes.
    static func authenticationHeader(next: UInt8, _ payload: [UInt8]) -> [UInt8] {
        build { $0.u8(next); $0.u8(4); $0.u16(0); $0.u32(0xABCD); $0.u32(7); $0.zeros(12); $0.append(payload) }
    }

    // MARK: - Transport layers

    static func tcp(
        src: UInt16 = 49152, dst: UInt16 = 443, flags: UInt8 = TCPFlags.syn, _ payload: [UInt8] = []
    ) -> [UInt8] {
        build {
            $0.u16(src); $0.u16(dst); $0.u32(1000); $0.u32(0); $0.u8(5 << 4); $0.u8(flags)
            $0.u16(65535); $0.u16(0); $0.u16(0); $0.append(payload)
        }
    }

    /// A UDP (or UDP-Lite) header.
    static func udp(src: UInt16 = 53000, dst: UInt16 = 53, _ payload: [UInt8] = []) -> [UInt8] {
        build { $0.u16(src); $0.u16(dst); $0.u16(UInt16(8 + payload.count)); $0.u16(0); $0.append(payload) }
    }

    /// An ICMP or ICMPv6 message header (type, code, checksum, identifier, sequence).
    static func icmp(type: UInt8, code: UInt8 = 0, _ payload: [UInt8] = []) -> [UInt8] {
        build { $0.u8(type); $0.u8(code); $0.u16(0); $0.u16(0x1A03); $0.u16(1); $0.append(payload) }
    }

    /// An SCTP common header (ports, verification tag, checksum).
    static func sctp(src: UInt16 = 5000, dst: UInt16 = 36412) -> [UInt8] {
        build { $0.u16(src); $0.u16(dst); $0.u32(0xDEAD_BEEF); $0.u32(0) }
    }

    /// A DCCP generic header (16 bytes, X = 1).
    static func dccp(src: UInt16 = 6000, dst: UInt16 = 5001) -> [UInt8] {
        build { $0.u16(src); $0.u16(dst); $0.u8(4); $0.u8(0); $0.u16(0); $0.u8(0x01); $0.u8(0); $0.zeros(6) }
    }

    /// A basic GRE header carrying `type`.
    static func gre(type: UInt16 = 0x0800, _ payload: [UInt8] = []) -> [UInt8] {
        build { $0.u16(0); $0.u16(type); $0.append(payload) }
    }

    // MARK: - Decoding

    /// Decodes the first `prefix` bytes of `frame` (all of them by default) into a fresh batch.
    static func decode(
        _ frame: [UInt8], linkType: LinkType, prefix: Int? = nil, wireLength: UInt32? = nil,
        timestamp: Int64 = DecodeCase.timestamp
    ) -> (batch: PacketBatch, counters: DecodeCounters) {
        let captured = Array(frame.prefix(prefix ?? frame.count))
        let decoder = PacketDecoder(linkType: linkType)
        var batch = PacketBatch()
        var counters = DecodeCounters()
        captured.withUnsafeBytes { bytes in
            decoder.decode(
                frame: bytes, wireLength: wireLength ?? UInt32(frame.count), timestamp: timestamp,
                into: &batch, counters: &counters)
        }
        return (batch, counters)
    }
}
