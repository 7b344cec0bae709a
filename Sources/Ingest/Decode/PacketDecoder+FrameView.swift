import FlowModel

extension PacketDecoder {
    /// A captured frame's bytes, read with unchecked unaligned loads.
    ///
    /// The decoder checks once per header that the header lies inside the frame (or inside the IP
    /// datagram, see ``PacketDecoder``), then reads its fields through these accessors without further
    /// checks. In debug builds `loadUnaligned` still asserts every read is in bounds, which is what the
    /// truncation tests lean on; in release builds the reads are plain loads.
    struct FrameView {
        /// The captured bytes.
        let bytes: UnsafeRawBufferPointer

        /// Wraps the captured bytes of one frame.
        @inline(__always)
        init(_ bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        /// The number of captured bytes.
        @inline(__always)
        var count: Int { bytes.count }

        /// The byte at `offset`.
        @inline(__always)
        func u8(_ offset: Int) -> UInt8 {
            bytes.loadUnaligned(fromByteOffset: offset, as: UInt8.self)
        }

        /// The big-endian 16-bit integer at `offset`.
        @inline(__always)
        func be16(_ offset: Int) -> UInt16 {
            UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
        }

        /// The big-endian 32-bit integer at `offset`.
        @inline(__always)
        func be32(_ offset: Int) -> UInt32 {
            UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }

        /// The little-endian 32-bit integer at `offset`.
        @inline(__always)
        func le32(_ offset: Int) -> UInt32 {
            UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }

        /// The big-endian 64-bit integer at `offset`.
        @inline(__always)
        func be64(_ offset: Int) -> UInt64 {
            UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }

        /// The 48-bit MAC address at `offset` as a big-endian integer (`00:11:22:33:44:55` is
        /// `0x0011_2233_4455`).
        @inline(__always)
        func mac(_ offset: Int) -> UInt64 {
            UInt64(be32(offset)) << 16 | UInt64(be16(offset &+ 4))
        }
    }

    /// How decoding one frame ended; ``PacketDecoder`` turns it into a row and a counter.
    enum Outcome {
        /// An IP packet: append the row, count it in ``DecodeCounters/ipPackets``.
        case ipPacket
        /// A non-IP frame: append the link row, count it in ``DecodeCounters/linkFrames``.
        case linkFrame
        /// The headers are cut short: skip, count in ``DecodeCounters/tooShort``.
        case tooShort
        /// A header is inconsistent: skip, count in ``DecodeCounters/malformed``.
        case malformed
    }

    /// The fields of one ``PacketBatch`` row that the decoding steps fill in, before it is appended.
    ///
    /// Timestamp and wire length come straight from the caller and are not held here.
    struct DecodedRow {
        /// Source IP address, or the source MAC for link rows.
        var src = IPAddress(high: 0, low: 0)
        /// Destination IP address, or the destination MAC for link rows.
        var dst = IPAddress(high: 0, low: 0)
        /// Source port, ICMP key or EtherType.
        var srcPort: UInt16 = 0
        /// Destination port, ICMP key or EtherType.
        var dstPort: UInt16 = 0
        /// IP protocol number of the last header.
        var proto: UInt8 = 0
        /// ``PacketBatch/Flags`` bits.
        var flags: PacketBatch.Flags = []
        /// The TCP flags byte.
        var tcpFlags: UInt8 = 0
        /// IP (IPv4) or fragment (IPv6) identification of a fragment.
        var fragmentID: UInt32 = 0
        /// Where the transport payload starts (UDP and TCP only; 0 otherwise).
        var payloadStart = 0
        /// Where the captured transport payload ends.
        var payloadEnd = 0

        /// Appends the row to `batch` with the record's time and wire length.
        @inline(__always)
        func append(timestamp: Int64, wireLength: UInt32, to batch: inout PacketBatch) {
            batch.append(
                timestamp: timestamp, src: src, dst: dst, srcPort: srcPort, dstPort: dstPort, proto: proto,
                flags: flags, tcpFlags: tcpFlags, wireLength: wireLength, fragmentID: fragmentID
            )
        }

        /// Makes this a link row for `etherType`: both ports hold it, the flags say ``PacketBatch/Flags/link``.
        ///
        /// The caller fills in the link-layer addresses, which only it knows.
        @inline(__always)
        mutating func setLink(etherType: UInt16) -> Outcome {
            srcPort = etherType
            dstPort = etherType
            proto = 0
            tcpFlags = 0
            flags = .link
            return .linkFrame
        }
    }
}
