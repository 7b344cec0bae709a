import FlowModel

extension PacketDecoder {
    /// EtherType values the decoder acts on.
    enum EtherType {
        /// IPv4.
        static let ipv4: UInt16 = 0x0800
        /// IPv6.
        static let ipv6: UInt16 = 0x86DD
        /// 802.1Q VLAN tag.
        static let vlan: UInt16 = 0x8100
        /// 802.1ad service tag (QinQ).
        static let qinq: UInt16 = 0x88A8
        /// Legacy QinQ tag.
        static let qinq9100: UInt16 = 0x9100
        /// Legacy QinQ tag.
        static let qinq9200: UInt16 = 0x9200
        /// MPLS unicast.
        static let mplsUnicast: UInt16 = 0x8847
        /// MPLS multicast.
        static let mplsMulticast: UInt16 = 0x8848
        /// PPPoE session stage.
        static let pppoeSession: UInt16 = 0x8864
        /// Values up to this are 802.3 lengths, not EtherTypes (the frame is an LLC frame).
        static let maxLength: UInt16 = 1500
    }
}

extension PacketDecoder {
    /// Ethernet II / 802.3: destination MAC, source MAC, EtherType (14 bytes), then the EtherType walk.
    ///
    /// Link rows get the frame's MAC addresses.
    func decodeEthernet(_ frame: FrameView, into row: inout DecodedRow) -> Outcome {
        guard frame.count >= 14 else { return .tooShort }
        let outcome = decodeEtherType(frame.be16(12), at: 14, frame, into: &row)
        if outcome == .linkFrame {
            row.dst = IPAddress(high: 0, low: frame.mac(0))
            row.src = IPAddress(high: 0, low: frame.mac(6))
        }
        return outcome
    }

    /// Follows an EtherType through VLAN tags, MPLS and PPPoE to IPv4, IPv6 or a link row.
    ///
    /// Shared by Ethernet and the Linux cooked headers, whose protocol field is an EtherType too.
    /// For a link row the ports are set and the addresses are left to the caller.
    ///
    /// - Parameters:
    ///   - etherType: The EtherType (or 802.3 length) from the link header.
    ///   - start: The offset of the bytes it describes.
    ///   - frame: The captured bytes.
    ///   - row: The row to fill in.
    /// - Returns: How decoding ended.
    func decodeEtherType(
        _ etherType: UInt16, at start: Int, _ frame: FrameView, into row: inout DecodedRow
    ) -> Outcome {
        var type = etherType
        var offset = start
        var tags = 0
        while true {
            switch type {
            case EtherType.ipv4:
                return decodeIPv4(frame, at: offset, into: &row)
            case EtherType.ipv6:
                return decodeIPv6(frame, at: offset, into: &row)
            case EtherType.vlan, EtherType.qinq, EtherType.qinq9100, EtherType.qinq9200:
                // Tag control information (2 bytes), then the next EtherType.
                tags &+= 1
                guard tags <= Self.maxVLANTags else { return .malformed }
                guard offset &+ 4 <= frame.count else { return .tooShort }
                type = frame.be16(offset &+ 2)
                offset &+= 4
            case EtherType.mplsUnicast, EtherType.mplsMulticast:
                return decodeMPLS(etherType: type, at: offset, frame, into: &row)
            case EtherType.pppoeSession:
                return decodePPPoE(at: offset, frame, into: &row)
            case 0...EtherType.maxLength:
                return row.setLink(etherType: 0)
            default:
                return row.setLink(etherType: type)
            }
        }
    }

    /// MPLS: 4-byte label entries up to the bottom-of-stack bit, then IPv4 or IPv6 guessed from the
    /// first nibble of the payload; anything else is a link row with the MPLS EtherType.
    func decodeMPLS(
        etherType: UInt16, at start: Int, _ frame: FrameView, into row: inout DecodedRow
    ) -> Outcome {
        var offset = start
        var labels = 0
        while true {
            guard offset &+ 4 <= frame.count else { return .tooShort }
            let entry = frame.be32(offset)  // label 20 bits, TC 3, S 1, TTL 8
            offset &+= 4
            if entry & 0x100 != 0 { break }
            labels &+= 1
            guard labels < Self.maxMPLSLabels else { return .malformed }
        }
        guard offset < frame.count else { return .tooShort }
        switch frame.u8(offset) >> 4 {
        case 4: return decodeIPv4(frame, at: offset, into: &row)
        case 6: return decodeIPv6(frame, at: offset, into: &row)
        default: return row.setLink(etherType: etherType)
        }
    }

    /// PPPoE session: version/type, code, session id, length (6 bytes), then the 2-byte PPP protocol;
    /// 0x0021 is IPv4, 0x0057 IPv6, anything else (LCP, IPCP, …) a link row with EtherType 0x8864.
    func decodePPPoE(at offset: Int, _ frame: FrameView, into row: inout DecodedRow) -> Outcome {
        guard offset &+ 8 <= frame.count else { return .tooShort }
        switch frame.be16(offset &+ 6) {
        case 0x0021: return decodeIPv4(frame, at: offset &+ 8, into: &row)
        case 0x0057: return decodeIPv6(frame, at: offset &+ 8, into: &row)
        default: return row.setLink(etherType: EtherType.pppoeSession)
        }
    }
}
