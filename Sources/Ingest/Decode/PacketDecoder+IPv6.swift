import FlowModel

extension PacketDecoder {
    /// IPv6 next-header values the extension-header walk acts on.
    enum IPv6NextHeader {
        /// Hop-by-hop options.
        static let hopByHop: UInt8 = 0
        /// Routing header.
        static let routing: UInt8 = 43
        /// Fragment header.
        static let fragment: UInt8 = 44
        /// Encapsulating security payload: the rest is encrypted.
        static let esp: UInt8 = 50
        /// Authentication header.
        static let authentication: UInt8 = 51
        /// No next header.
        static let noNextHeader: UInt8 = 59
        /// Destination options.
        static let destinationOptions: UInt8 = 60
    }
}

extension PacketDecoder {
    /// IPv6: the 40-byte fixed header, the extension headers, then the transport header unless the
    /// packet is a fragment after the first.
    ///
    /// The walk reads hop-by-hop, routing and destination options headers (`(length + 1) * 8`
    /// bytes), authentication headers (`(length + 2) * 4` bytes) and fragment headers (8 bytes), each
    /// of which must be captured whole. ESP and "no next header" end the walk with ports 0. More than
    /// ``maxExtensionHeaders`` extension headers make the packet malformed. `proto` is the number of
    /// the header the walk ends at.
    ///
    /// A fragment header with a non-zero offset or the M flag set gives
    /// ``PacketBatch/Flags/fragment`` and the 32-bit identification; a non-zero offset adds
    /// ``PacketBatch/Flags/laterFragment`` and ends the walk (the rest is not a header). An atomic
    /// fragment (offset 0, M clear) is a whole datagram and is not flagged.
    ///
    /// A payload length of 0 (a jumbogram, or a TSO capture) bounds the headers by the captured bytes.
    ///
    /// - Parameters:
    ///   - frame: The captured bytes.
    ///   - offset: Where the IPv6 header starts.
    ///   - row: The row to fill in.
    /// - Returns: How decoding ended.
    func decodeIPv6(_ frame: FrameView, at offset: Int, into row: inout DecodedRow) -> Outcome {
        guard offset &+ 40 <= frame.count else { return .tooShort }
        guard frame.u8(offset) >> 4 == 6 else { return .malformed }
        let payloadLength = Int(frame.be16(offset &+ 4))
        let end = payloadLength == 0 ? frame.count : min(frame.count, offset &+ 40 &+ payloadLength)
        row.src = IPAddress(high: frame.be64(offset &+ 8), low: frame.be64(offset &+ 16))
        row.dst = IPAddress(high: frame.be64(offset &+ 24), low: frame.be64(offset &+ 32))

        var next = frame.u8(offset &+ 6)
        var cursor = offset &+ 40
        // One pass per extension header, plus one for the header the walk ends at.
        for _ in 0...Self.maxExtensionHeaders {
            switch next {
            case IPv6NextHeader.hopByHop, IPv6NextHeader.routing, IPv6NextHeader.destinationOptions:
                guard cursor &+ 2 <= end else { return .tooShort }
                let length = (Int(frame.u8(cursor &+ 1)) &+ 1) &* 8
                guard cursor &+ length <= end else { return .tooShort }
                next = frame.u8(cursor)
                cursor &+= length
            case IPv6NextHeader.authentication:
                guard cursor &+ 2 <= end else { return .tooShort }
                let length = (Int(frame.u8(cursor &+ 1)) &+ 2) &* 4
                guard cursor &+ length <= end else { return .tooShort }
                next = frame.u8(cursor)
                cursor &+= length
            case IPv6NextHeader.fragment:
                guard cursor &+ 8 <= end else { return .tooShort }
                next = frame.u8(cursor)
                let field = frame.be16(cursor &+ 2)  // 13-bit offset, 2 reserved bits, M
                if field & 0xFFF9 != 0 {
                    row.flags.insert(.fragment)
                    row.fragmentID = frame.be32(cursor &+ 4)
                    if field & 0xFFF8 != 0 {
                        row.flags.insert(.laterFragment)
                        row.proto = next
                        return .ipPacket
                    }
                }
                cursor &+= 8
            case IPv6NextHeader.esp, IPv6NextHeader.noNextHeader:
                row.proto = next
                return .ipPacket
            default:
                row.proto = next
                return decodeTransport(next, frame, at: cursor, end: end, into: &row)
            }
        }
        return .malformed
    }
}
