import FlowModel

/// Builds one Ethernet frame at a time: optional 802.1Q tag, IPv4 or IPv6, TCP or UDP, payload.
///
/// Lengths and checksums are always those of the whole frame (IPv4 header checksum, TCP/UDP checksum
/// over the pseudo-header and the full payload); only the bytes within the snap length are written,
/// so a truncated capture still holds exactly the headers a full one would.
///
/// ```swift
/// builder.begin(from: a, to: b, proto: TransportProtocol.tcp, sourcePort: 50000, destinationPort: 443)
/// builder.tcpHeader(seq: 1, ack: 1, flags: TCPFlags.ack | TCPFlags.psh)
/// builder.append(tlsHeader)
/// builder.appendFiller(count: 1200, offset: 0)
/// let frame = builder.finish()   // frame.capturedLength ≤ snaplen, frame.wireLength the real size
/// ```
public final class FrameBuilder {
    /// Bytes a frame may occupy before truncation (Ethernet + VLAN + IPv6 + TCP + 64 KiB).
    static let capacity = 14 + 4 + 40 + 60 + 65_536 + 64

    /// The frame, valid until the next ``begin(from:to:proto:sourcePort:destinationPort:)``.
    public let buffer: UnsafeMutableRawPointer
    /// The snap length: bytes of a frame kept in the capture.
    public let snaplen: Int

    private var ipStart = 0
    private var l4Start = 0
    private var cursor = 0
    /// Payload bytes of the frame being built.
    public private(set) var payloadLength = 0
    private var fillerSum: UInt64 = 0
    private var fillerCount = 0
    private var proto: UInt8 = 0
    private var isIPv6 = false
    private var source = Host(ip: .zero, mac: 0)
    private var destination = Host(ip: .zero, mac: 0)
    private var ipIdentification: UInt16 = 0x1234

    /// The result of ``finish()``.
    public struct Frame: Sendable {
        /// Bytes of the frame in ``FrameBuilder/buffer`` to write (at most the snap length).
        public var capturedLength: Int
        /// The frame's real length on the wire.
        public var wireLength: Int
    }

    /// Creates a builder that truncates frames to `snaplen` bytes.
    public init(snaplen: Int) {
        self.snaplen = max(1, snaplen)
        buffer = .allocate(byteCount: Self.capacity, alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: Self.capacity)
    }

    deinit { buffer.deallocate() }

    /// Starts a frame: writes the Ethernet (and 802.1Q) header and reserves the IP header.
    public func begin(from source: Host, to destination: Host, proto: UInt8, sourcePort: UInt16,
                      destinationPort: UInt16) {
        self.source = source
        self.destination = destination
        self.proto = proto
        isIPv6 = !source.ip.isIPv4
        storeMAC(destination.mac, at: 0)
        storeMAC(source.mac, at: 6)
        var offset = 12
        let vlan = source.vlan != 0 ? source.vlan : destination.vlan
        if vlan != 0 {
            store16(0x8100, at: 12)
            store16(vlan & 0x0FFF, at: 14)
            offset = 16
        }
        store16(isIPv6 ? 0x86DD : 0x0800, at: offset)
        ipStart = offset + 2
        l4Start = ipStart + (isIPv6 ? 40 : 20)
        store16(sourcePort, at: l4Start)
        store16(destinationPort, at: l4Start + 2)
        payloadLength = 0
        fillerSum = 0
        fillerCount = 0
    }

    /// Writes a TCP header after ``begin(from:to:proto:sourcePort:destinationPort:)``; SYNs carry an MSS option.
    public func tcpHeader(seq: UInt32, ack: UInt32, flags: UInt8, window: UInt16 = 64_240) {
        let isSyn = flags & TCPFlags.syn != 0
        let headerLength = isSyn ? 24 : 20
        store32(seq, at: l4Start + 4)
        store32(flags & TCPFlags.ack != 0 ? ack : 0, at: l4Start + 8)
        buffer.storeBytes(of: UInt8(headerLength / 4) << 4, toByteOffset: l4Start + 12, as: UInt8.self)
        buffer.storeBytes(of: flags, toByteOffset: l4Start + 13, as: UInt8.self)
        store16(window, at: l4Start + 14)
        store32(0, at: l4Start + 16)  // checksum and urgent pointer
        if isSyn {
            store16(0x0204, at: l4Start + 20)
            store16(isIPv6 ? 1440 : 1460, at: l4Start + 22)
        }
        cursor = l4Start + headerLength
    }

    /// Reserves a UDP header after ``begin(from:to:proto:sourcePort:destinationPort:)``.
    public func udpHeader() {
        store32(0, at: l4Start + 4)
        cursor = l4Start + 8
    }

    /// Appends payload bytes (written in full; the frame is truncated when it is finished).
    public func append(_ bytes: [UInt8]) {
        append(bytes[...])
    }

    /// Appends a slice of payload bytes without copying it into a new array first.
    public func append(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress { (buffer + cursor).copyMemory(from: base, byteCount: raw.count) }
        }
        cursor += bytes.count
        payloadLength += bytes.count
    }

    /// Appends a TLS 1.2 application-data record header for a body of `bodyLength` bytes (no allocation).
    public func appendTLSRecordHeader(bodyLength: Int) {
        buffer.storeBytes(of: UInt8(0x17), toByteOffset: cursor, as: UInt8.self)
        store16(0x0303, at: cursor + 1)
        store16(UInt16(truncatingIfNeeded: bodyLength), at: cursor + 3)
        cursor += 5
        payloadLength += 5
    }

    /// Appends four bytes, big-endian (a small protocol header, no allocation).
    public func append32(_ value: UInt32) {
        store32(value, at: cursor)
        cursor += 4
        payloadLength += 4
    }

    /// Appends `count` filler bytes taken from ``Filler`` at the even `offset`; must come last.
    public func appendFiller(count: Int, offset: Int) {
        guard count > 0 else { return }
        let filler = Filler.shared
        let start = offset & (Filler.size / 2 - 2)
        let visible = min(count, max(0, snaplen - cursor))
        if visible > 0 {
            filler.bytes.withUnsafeBytes { raw in
                (buffer + cursor).copyMemory(from: raw.baseAddress! + start, byteCount: visible)
            }
        }
        let sum = filler.sum(offset: start, count: count)
        fillerSum = (cursor - l4Start) & 1 == 0 ? sum : Checksum.shiftedOdd(sum)
        fillerCount = count
        cursor += count
        payloadLength += count
    }

    /// Fills in lengths and checksums and returns the frame's captured and wire lengths.
    public func finish() -> Frame {
        let l4Length = cursor - l4Start
        let writtenEnd = min(cursor, snaplen)
        if proto == TransportProtocol.udp { store16(UInt16(l4Length), at: l4Start + 4) }
        writeIPHeader(l4Length: l4Length)
        // The checksum covers the pseudo-header, the L4 header and the payload; filler was pre-summed.
        var sum = pseudoHeaderSum(l4Length: l4Length)
        sum += Checksum.sum(buffer + l4Start, count: l4Length - fillerCount)
        sum += fillerSum
        let checksumOffset = l4Start + (proto == TransportProtocol.tcp ? 16 : 6)
        store16(Checksum.field(sum, udp: proto == TransportProtocol.udp), at: checksumOffset)
        return Frame(capturedLength: writtenEnd, wireLength: cursor)
    }

    private func writeIPHeader(l4Length: Int) {
        let ip = ipStart
        if isIPv6 {
            store32(0x6000_0000, at: ip)
            store16(UInt16(l4Length), at: ip + 4)
            buffer.storeBytes(of: proto, toByteOffset: ip + 6, as: UInt8.self)
            buffer.storeBytes(of: source.ttl, toByteOffset: ip + 7, as: UInt8.self)
            store64(source.ip.high, at: ip + 8)
            store64(source.ip.low, at: ip + 16)
            store64(destination.ip.high, at: ip + 24)
            store64(destination.ip.low, at: ip + 32)
            return
        }
        ipIdentification &+= 1
        store16(0x4500, at: ip)
        store16(UInt16(20 + l4Length), at: ip + 2)
        store16(ipIdentification, at: ip + 4)
        store16(proto == TransportProtocol.tcp ? 0x4000 : 0, at: ip + 6)
        buffer.storeBytes(of: source.ttl, toByteOffset: ip + 8, as: UInt8.self)
        buffer.storeBytes(of: proto, toByteOffset: ip + 9, as: UInt8.self)
        store16(0, at: ip + 10)
        store32(source.ip.v4, at: ip + 12)
        store32(destination.ip.v4, at: ip + 16)
        store16(Checksum.field(Checksum.sum(buffer + ip, count: 20)), at: ip + 10)
    }

    private func pseudoHeaderSum(l4Length: Int) -> UInt64 {
        // Plain arithmetic, no temporary arrays: this runs once per packet.
        var sum = UInt64(proto) + UInt64(l4Length)
        if isIPv6 {
            sum += Self.wordSum(source.ip.high) + Self.wordSum(source.ip.low)
            sum += Self.wordSum(destination.ip.high) + Self.wordSum(destination.ip.low)
        } else {
            let a = source.ip.v4, b = destination.ip.v4
            sum += UInt64(a >> 16) + UInt64(a & 0xFFFF) + UInt64(b >> 16) + UInt64(b & 0xFFFF)
        }
        return sum
    }

    private static func wordSum(_ half: UInt64) -> UInt64 {
        (half >> 48) + ((half >> 32) & 0xFFFF) + ((half >> 16) & 0xFFFF) + (half & 0xFFFF)
    }

    private func storeMAC(_ mac: UInt64, at offset: Int) {
        store16(UInt16(truncatingIfNeeded: mac >> 32), at: offset)
        store32(UInt32(truncatingIfNeeded: mac), at: offset + 2)
    }

    private func store16(_ value: UInt16, at offset: Int) {
        buffer.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    private func store32(_ value: UInt32, at offset: Int) {
        buffer.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    private func store64(_ value: UInt64, at offset: Int) {
        buffer.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt64.self)
    }
}
