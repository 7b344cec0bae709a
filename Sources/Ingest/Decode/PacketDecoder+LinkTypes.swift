import FlowModel

extension PacketDecoder {
    /// BSD address-family values that loopback (NULL/LOOP) headers carry.
    enum AddressFamily {
        /// `AF_INET` everywhere.
        static let inet: UInt32 = 2
        /// `AF_INET6` on Linux.
        static let inet6Linux: UInt32 = 10
        /// `AF_INET6` on NetBSD, OpenBSD and BSD/OS.
        static let inet6BSD: UInt32 = 24
        /// `AF_INET6` on FreeBSD and DragonFly.
        static let inet6FreeBSD: UInt32 = 28
        /// `AF_INET6` on macOS.
        static let inet6Darwin: UInt32 = 30
    }
}

extension PacketDecoder {
    /// Linux cooked capture v1 (16 bytes): packet type, ARPHRD type, address length (bytes 4–5),
    /// up to 8 bytes of the sender's address (6–13), protocol (14–15, an EtherType).
    ///
    /// Link rows get the sender's address as `src` when it is a 6-byte MAC, and `dst` 0.
    func decodeLinuxSLL(_ frame: FrameView, into row: inout DecodedRow) -> Outcome {
        guard frame.count >= 16 else { return .tooShort }
        let outcome = decodeEtherType(frame.be16(14), at: 16, frame, into: &row)
        if outcome == .linkFrame {
            let address = frame.be16(4) == 6 ? frame.mac(6) : 0
            row.src = IPAddress(high: 0, low: address)
            row.dst = IPAddress(high: 0, low: 0)
        }
        return outcome
    }

    /// Linux cooked capture v2 (20 bytes): protocol (0–1, an EtherType), reserved, interface index,
    /// ARPHRD type, packet type, address length (byte 11), up to 8 bytes of the sender's address
    /// (12–19).
    ///
    /// Link rows get the sender's address as `src` when it is a 6-byte MAC, and `dst` 0.
    func decodeLinuxSLL2(_ frame: FrameView, into row: inout DecodedRow) -> Outcome {
        guard frame.count >= 20 else { return .tooShort }
        let outcome = decodeEtherType(frame.be16(0), at: 20, frame, into: &row)
        if outcome == .linkFrame {
            let address = frame.u8(11) == 6 ? frame.mac(12) : 0
            row.src = IPAddress(high: 0, low: address)
            row.dst = IPAddress(high: 0, low: 0)
        }
        return outcome
    }

    /// Raw IP: the version nibble of the first byte picks IPv4 or IPv6; any other version is
    /// malformed.
    func decodeRawIP(_ frame: FrameView, into row: inout DecodedRow) -> Outcome {
        guard frame.count >= 1 else { return .tooShort }
        switch frame.u8(0) >> 4 {
        case 4: return decodeIPv4(frame, at: 0, into: &row)
        case 6: return decodeIPv6(frame, at: 0, into: &row)
        default: return .malformed
        }
    }

    /// BSD loopback: a 4-byte address family, then the packet.
    ///
    /// NULL (`networkOrder == false`) writes the family in the capturing host's byte order, which
    /// the file does not record; a little-endian reading above 0xFFFF means the host was
    /// big-endian. LOOP always uses network byte order. Unknown families become link rows with
    /// EtherType 0 and zero addresses.
    ///
    /// - Parameters:
    ///   - frame: The captured bytes.
    ///   - networkOrder: Whether the family is big-endian (LOOP) rather than host order (NULL).
    ///   - row: The row to fill in.
    /// - Returns: How decoding ended.
    func decodeLoopback(_ frame: FrameView, networkOrder: Bool, into row: inout DecodedRow) -> Outcome {
        guard frame.count >= 4 else { return .tooShort }
        let family: UInt32
        if networkOrder {
            family = frame.be32(0)
        } else {
            let little = frame.le32(0)
            family = little > 0xFFFF ? frame.be32(0) : little
        }
        switch family {
        case AddressFamily.inet:
            return decodeIPv4(frame, at: 4, into: &row)
        case AddressFamily.inet6Linux, AddressFamily.inet6BSD, AddressFamily.inet6FreeBSD,
            AddressFamily.inet6Darwin:
            return decodeIPv6(frame, at: 4, into: &row)
        default:
            return row.setLink(etherType: 0)
        }
    }
}
