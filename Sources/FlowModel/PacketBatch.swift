/// Decoded packets as structure-of-arrays columns: one array per field, index `i` is packet `i`.
///
/// Decoders append; the flow stage reads whole columns. Addresses are split into 64-bit halves so a
/// loop over the columns touches contiguous integers only. The columns always have equal length.
public struct PacketBatch: Sendable {
    /// Per-packet bits in the ``flags`` column.
    public struct Flags: OptionSet, Sendable, Hashable {
        public var rawValue: UInt8
        @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// A non-IP frame: addresses hold the link-layer addresses (48-bit MACs in `low`), both ports
        /// hold the EtherType, `proto` is 0.
        @inlinable public static var link: Flags { Flags(rawValue: 0x01) }
        /// Part of a fragmented IP datagram; ``PacketBatch/fragmentID`` identifies the datagram.
        @inlinable public static var fragment: Flags { Flags(rawValue: 0x02) }
        /// A fragment after the first: it has no transport header, so its ports are unknown (0) and
        /// are taken from the datagram's first fragment by the flow stage.
        @inlinable public static var laterFragment: Flags { Flags(rawValue: 0x04) }
    }

    /// Capture time, nanoseconds since the epoch.
    public var timestamp: [Int64] = []
    /// Source address, first 64 bits.
    public var srcHigh: [UInt64] = []
    /// Source address, last 64 bits.
    public var srcLow: [UInt64] = []
    /// Destination address, first 64 bits.
    public var dstHigh: [UInt64] = []
    /// Destination address, last 64 bits.
    public var dstLow: [UInt64] = []
    /// Source port (TCP/UDP/SCTP); for ICMP both ports hold the query type and code as
    /// `type << 8 | code` (replies mapped to their request type), so both directions share a key.
    public var srcPort: [UInt16] = []
    /// Destination port; see ``srcPort``.
    public var dstPort: [UInt16] = []
    /// IP protocol number (the last header's, after IPv6 extension headers).
    public var proto: [UInt8] = []
    /// ``Flags`` bits.
    public var flags: [UInt8] = []
    /// TCP flags of the segment, 0 for other protocols.
    public var tcpFlags: [UInt8] = []
    /// Length of the frame on the wire (the record's original length), in bytes.
    public var wireLength: [UInt32] = []
    /// IP identification (IPv4) or fragment identification (IPv6) of fragments, else 0.
    public var fragmentID: [UInt32] = []

    /// Creates an empty batch with room for `capacity` packets.
    public init(capacity: Int = 0) {
        if capacity > 0 { reserveCapacity(capacity) }
    }

    /// The number of packets in the batch.
    @inlinable
    public var count: Int { timestamp.count }

    /// Whether the batch holds no packet.
    @inlinable
    public var isEmpty: Bool { timestamp.isEmpty }

    /// Reserves room for `capacity` packets in every column.
    public mutating func reserveCapacity(_ capacity: Int) {
        timestamp.reserveCapacity(capacity)
        srcHigh.reserveCapacity(capacity)
        srcLow.reserveCapacity(capacity)
        dstHigh.reserveCapacity(capacity)
        dstLow.reserveCapacity(capacity)
        srcPort.reserveCapacity(capacity)
        dstPort.reserveCapacity(capacity)
        proto.reserveCapacity(capacity)
        flags.reserveCapacity(capacity)
        tcpFlags.reserveCapacity(capacity)
        wireLength.reserveCapacity(capacity)
        fragmentID.reserveCapacity(capacity)
    }

    /// Empties every column, keeping the storage for reuse.
    public mutating func removeAll() {
        timestamp.removeAll(keepingCapacity: true)
        srcHigh.removeAll(keepingCapacity: true)
        srcLow.removeAll(keepingCapacity: true)
        dstHigh.removeAll(keepingCapacity: true)
        dstLow.removeAll(keepingCapacity: true)
        srcPort.removeAll(keepingCapacity: true)
        dstPort.removeAll(keepingCapacity: true)
        proto.removeAll(keepingCapacity: true)
        flags.removeAll(keepingCapacity: true)
        tcpFlags.removeAll(keepingCapacity: true)
        wireLength.removeAll(keepingCapacity: true)
        fragmentID.removeAll(keepingCapacity: true)
    }

    /// Appends one packet to every column.
    @inlinable
    public mutating func append(
        timestamp: Int64, src: IPAddress, dst: IPAddress, srcPort: UInt16, dstPort: UInt16,
        proto: UInt8, flags: Flags = [], tcpFlags: UInt8 = 0, wireLength: UInt32, fragmentID: UInt32 = 0
    ) {
        self.timestamp.append(timestamp)
        self.srcHigh.append(src.high)
        self.srcLow.append(src.low)
        self.dstHigh.append(dst.high)
        self.dstLow.append(dst.low)
        self.srcPort.append(srcPort)
        self.dstPort.append(dstPort)
        self.proto.append(proto)
        self.flags.append(flags.rawValue)
        self.tcpFlags.append(tcpFlags)
        self.wireLength.append(wireLength)
        self.fragmentID.append(fragmentID)
    }

    /// Packet `index` as one value (for tests and slow paths; hot loops read the columns).
    public subscript(index: Int) -> Packet {
        Packet(
            timestamp: timestamp[index],
            src: IPAddress(high: srcHigh[index], low: srcLow[index]),
            dst: IPAddress(high: dstHigh[index], low: dstLow[index]),
            srcPort: srcPort[index], dstPort: dstPort[index], proto: proto[index],
            flags: Flags(rawValue: flags[index]), tcpFlags: tcpFlags[index],
            wireLength: wireLength[index], fragmentID: fragmentID[index]
        )
    }
}

/// One decoded packet: a row of a ``PacketBatch``.
public struct Packet: Hashable, Sendable {
    /// Capture time, nanoseconds since the epoch.
    public var timestamp: Int64
    /// Source address (or MAC, for ``PacketBatch/Flags/link`` frames).
    public var src: IPAddress
    /// Destination address (or MAC).
    public var dst: IPAddress
    /// Source port; see ``PacketBatch/srcPort``.
    public var srcPort: UInt16
    /// Destination port; see ``PacketBatch/srcPort``.
    public var dstPort: UInt16
    /// IP protocol number.
    public var proto: UInt8
    /// Per-packet flags.
    public var flags: PacketBatch.Flags
    /// TCP flags of the segment.
    public var tcpFlags: UInt8
    /// Frame length on the wire.
    public var wireLength: UInt32
    /// Fragment identification, for fragments.
    public var fragmentID: UInt32

    /// Creates a packet row.
    public init(
        timestamp: Int64, src: IPAddress, dst: IPAddress, srcPort: UInt16, dstPort: UInt16, proto: UInt8,
        flags: PacketBatch.Flags = [], tcpFlags: UInt8 = 0, wireLength: UInt32, fragmentID: UInt32 = 0
    ) {
        self.timestamp = timestamp
        self.src = src
        self.dst = dst
        self.srcPort = srcPort
        self.dstPort = dstPort
        self.proto = proto
        self.flags = flags
        self.tcpFlags = tcpFlags
        self.wireLength = wireLength
        self.fragmentID = fragmentID
    }
}
