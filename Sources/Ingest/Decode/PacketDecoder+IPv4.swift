import FlowModel

extension PacketDecoder {
    /// IPv4: a 20-byte fixed header plus options, then the transport header unless the packet is a
    /// fragment after the first.
    ///
    /// Checks, in order: the 20 fixed bytes are captured (else too short); the version is 4 and the
    /// IHL at least 5 (else malformed); the total length is at least the header length (else
    /// malformed); the options are captured (else too short).
    ///
    /// A total length of 0 is read as "unknown", not malformed: captures taken on a sender with TCP
    /// segmentation offload show the large segments that way (Wireshark makes the same guess). The
    /// transport header is then bounded by the captured bytes alone.
    ///
    /// Fragments (MF set or a non-zero offset) get ``PacketBatch/Flags/fragment`` and the 16-bit
    /// identification; a non-zero offset adds ``PacketBatch/Flags/laterFragment`` and leaves the
    /// ports and TCP flags 0, since such a fragment carries no transport header.
    ///
    /// - Parameters:
    ///   - frame: The captured bytes.
    ///   - offset: Where the IPv4 header starts.
    ///   - row: The row to fill in.
    /// - Returns: How decoding ended.
    func decodeIPv4(_ frame: FrameView, at offset: Int, into row: inout DecodedRow) -> Outcome {
        guard offset &+ 20 <= frame.count else { return .tooShort }
        let versionAndLength = frame.u8(offset)
        guard versionAndLength >> 4 == 4 else { return .malformed }
        let headerLength = Int(versionAndLength & 0x0F) &* 4
        guard headerLength >= 20 else { return .malformed }
        let totalLength = Int(frame.be16(offset &+ 2))
        let end: Int
        if totalLength == 0 {
            end = frame.count
        } else {
            guard totalLength >= headerLength else { return .malformed }
            end = min(frame.count, offset &+ totalLength)
        }
        guard offset &+ headerLength <= frame.count else { return .tooShort }

        let proto = frame.u8(offset &+ 9)
        row.proto = proto
        row.src = IPAddress(v4: frame.be32(offset &+ 12))
        row.dst = IPAddress(v4: frame.be32(offset &+ 16))

        let fragment = frame.be16(offset &+ 6)  // reserved, DF, MF, 13-bit offset
        if fragment & 0x3FFF != 0 {
            row.flags.insert(.fragment)
            row.fragmentID = UInt32(frame.be16(offset &+ 4))
            if fragment & 0x1FFF != 0 {
                row.flags.insert(.laterFragment)
                return .ipPacket
            }
        }
        return decodeTransport(proto, frame, at: offset &+ headerLength, end: end, into: &row)
    }
}
