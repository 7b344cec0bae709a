import FlowModel

extension PacketDecoder {
    /// ICMP and ICMPv6 message types whose replies are folded onto their requests.
    enum ICMPType {
        /// ICMPv4 echo reply, folded onto echo request (8).
        static let echoReply: UInt8 = 0
        /// ICMPv4 echo request.
        static let echoRequest: UInt8 = 8
        /// ICMPv4 timestamp request.
        static let timestamp: UInt8 = 13
        /// ICMPv4 timestamp reply, folded onto timestamp request (13).
        static let timestampReply: UInt8 = 14
        /// ICMPv4 information request.
        static let information: UInt8 = 15
        /// ICMPv4 information reply, folded onto information request (15).
        static let informationReply: UInt8 = 16
        /// ICMPv4 address-mask request.
        static let addressMask: UInt8 = 17
        /// ICMPv4 address-mask reply, folded onto address-mask request (17).
        static let addressMaskReply: UInt8 = 18
        /// ICMPv6 echo request.
        static let v6EchoRequest: UInt8 = 128
        /// ICMPv6 echo reply, folded onto echo request (128).
        static let v6EchoReply: UInt8 = 129
    }
}

extension PacketDecoder {
    /// The transport header: ports, TCP flags, or the ICMP key.
    ///
    /// | protocol | needs | fills |
    /// |---|---|---|
    /// | TCP (6) | 14 bytes | ports, flags byte (offset 13) |
    /// | UDP (17) | 4 bytes | ports, payload range (for the export-capture reader) |
    /// | SCTP (132), UDP-Lite (136), DCCP (33) | 4 bytes | ports |
    /// | ICMP (1), ICMPv6 (58) | 2 bytes | `type << 8 \| code` in both ports, replies as requests |
    /// | anything else | nothing | ports 0 |
    ///
    /// - Parameters:
    ///   - proto: The IP protocol number.
    ///   - frame: The captured bytes.
    ///   - offset: Where the transport header starts.
    ///   - end: Where the IP datagram's captured bytes end (the smaller of the captured length and the
    ///     datagram's declared end); the header must end at or before it.
    ///   - row: The row to fill in.
    /// - Returns: ``Outcome/ipPacket``, or ``Outcome/tooShort`` when the bytes are missing.
    @inline(__always)
    func decodeTransport(
        _ proto: UInt8, _ frame: FrameView, at offset: Int, end: Int, into row: inout DecodedRow
    ) -> Outcome {
        switch proto {
        case TransportProtocol.tcp:
            guard offset &+ 14 <= end else { return .tooShort }
            row.srcPort = frame.be16(offset)
            row.dstPort = frame.be16(offset &+ 2)
            row.tcpFlags = frame.u8(offset &+ 13)
        case TransportProtocol.udp:
            guard offset &+ 4 <= end else { return .tooShort }
            row.srcPort = frame.be16(offset)
            row.dstPort = frame.be16(offset &+ 2)
            row.payloadStart = offset &+ 8
            row.payloadEnd = end
        case TransportProtocol.sctp, 136, 33:  // SCTP, UDP-Lite, DCCP
            guard offset &+ 4 <= end else { return .tooShort }
            row.srcPort = frame.be16(offset)
            row.dstPort = frame.be16(offset &+ 2)
        case TransportProtocol.icmp:
            guard offset &+ 2 <= end else { return .tooShort }
            let key = Self.icmpKey(type: Self.icmpRequestType(frame.u8(offset)), code: frame.u8(offset &+ 1))
            row.srcPort = key
            row.dstPort = key
        case TransportProtocol.icmpv6:
            guard offset &+ 2 <= end else { return .tooShort }
            let type = frame.u8(offset)
            let key = Self.icmpKey(
                type: type == ICMPType.v6EchoReply ? ICMPType.v6EchoRequest : type, code: frame.u8(offset &+ 1))
            row.srcPort = key
            row.dstPort = key
        default:
            break
        }
        return .ipPacket
    }

    /// The ICMPv4 type a message is keyed by: replies map to their request type, others to themselves.
    ///
    /// - Parameter type: The ICMPv4 message type.
    /// - Returns: The request type for a reply, else `type`.
    @inline(__always)
    static func icmpRequestType(_ type: UInt8) -> UInt8 {
        switch type {
        case ICMPType.echoReply: ICMPType.echoRequest
        case ICMPType.timestampReply: ICMPType.timestamp
        case ICMPType.informationReply: ICMPType.information
        case ICMPType.addressMaskReply: ICMPType.addressMask
        default: type
        }
    }

    /// The value stored in both port columns for an ICMP message: `type << 8 | code`.
    @inline(__always)
    static func icmpKey(type: UInt8, code: UInt8) -> UInt16 {
        UInt16(type) << 8 | UInt16(code)
    }
}
