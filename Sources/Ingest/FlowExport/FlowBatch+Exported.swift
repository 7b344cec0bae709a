internal import FlowModel

extension FlowBatch {
    /// Appends one unidirectional exported flow record (nfdump, NetFlow, IPFIX) as a flow whose initiator
    /// is the record's source: counts go to the `Out` columns, the `In` columns hold the reverse direction
    /// when the record carries one (nfdump's EXcntFlow, IPFIX biflows), else 0.
    ///
    /// ICMP and ICMPv6 keys follow the packet path's flows: source port 0, destination port
    /// `type << 8 | code` with replies folded onto their request type, so both directions of an exchange
    /// share a key and pair up.
    @inline(__always)
    mutating func appendExported(
        src: IPAddress, dst: IPAddress, srcPort: UInt16, dstPort: UInt16, proto: UInt8,
        firstSeenNs: Int64, lastSeenNs: Int64, packets: UInt64, bytes: UInt64,
        reversePackets: UInt64 = 0, reverseBytes: UInt64 = 0, tcpFlags: UInt8, endReason: FlowRecord.EndReason
    ) {
        let (sport, dport) = exportedPorts(proto: proto, srcPort: srcPort, dstPort: dstPort)
        srcHigh.append(src.high)
        srcLow.append(src.low)
        dstHigh.append(dst.high)
        dstLow.append(dst.low)
        self.srcPort.append(sport)
        self.dstPort.append(dport)
        self.proto.append(proto)
        flags.append(0)
        firstSeen.append(min(firstSeenNs, lastSeenNs))
        lastSeen.append(max(firstSeenNs, lastSeenNs))
        packetsOut.append(packets)
        bytesOut.append(bytes)
        packetsIn.append(reversePackets)
        bytesIn.append(reverseBytes)
        tcpFlagsOut.append(proto == TransportProtocol.tcp ? tcpFlags : 0)
        tcpFlagsIn.append(0)
        self.endReason.append(endReason.rawValue)
    }
}

extension FlowBatchBuilder {
    /// ``FlowBatch/appendExported(src:dst:srcPort:dstPort:proto:firstSeenNs:lastSeenNs:packets:bytes:reversePackets:reverseBytes:tcpFlags:endReason:)``
    /// for the builder: same rules, plain stores.
    @inline(__always)
    mutating func appendExported(
        src: IPAddress, dst: IPAddress, srcPort: UInt16, dstPort: UInt16, proto: UInt8,
        firstSeenNs: Int64, lastSeenNs: Int64, packets: UInt64, bytes: UInt64,
        reversePackets: UInt64, reverseBytes: UInt64, tcpFlags: UInt8, endReason: FlowRecord.EndReason
    ) {
        let (sport, dport) = exportedPorts(proto: proto, srcPort: srcPort, dstPort: dstPort)
        append(src: src, dst: dst, srcPort: sport, dstPort: dport, proto: proto, flags: 0,
               firstSeen: min(firstSeenNs, lastSeenNs), lastSeen: max(firstSeenNs, lastSeenNs),
               packetsOut: packets, bytesOut: bytes, packetsIn: reversePackets, bytesIn: reverseBytes,
               tcpFlagsOut: proto == TransportProtocol.tcp ? tcpFlags : 0, tcpFlagsIn: 0, endReason: endReason.rawValue)
    }
}

/// The ports stored for an exported record: as given, except ICMP/ICMPv6, whose key goes in the
/// destination port and 0 in the source port, as for flows built from packets.
@inline(__always)
func exportedPorts(proto: UInt8, srcPort: UInt16, dstPort: UInt16) -> (UInt16, UInt16) {
    guard proto == TransportProtocol.icmp || proto == TransportProtocol.icmpv6 else { return (srcPort, dstPort) }
    return (0, exportedICMPKey(proto: proto, srcPort: srcPort, dstPort: dstPort))
}

/// The packet path's ICMP key for an exported record: exporters put `type << 8 | code` in the destination
/// port (some in the source port); replies are folded onto their request type.
@inline(__always)
func exportedICMPKey(proto: UInt8, srcPort: UInt16, dstPort: UInt16) -> UInt16 {
    let raw = dstPort != 0 ? dstPort : srcPort
    let type = UInt8(truncatingIfNeeded: raw >> 8), code = UInt8(truncatingIfNeeded: raw)
    let request: UInt8
    if proto == TransportProtocol.icmp {
        request = PacketDecoder.icmpRequestType(type)
    } else {
        request = type == PacketDecoder.ICMPType.v6EchoReply ? PacketDecoder.ICMPType.v6EchoRequest : type
    }
    return PacketDecoder.icmpKey(type: request, code: code)
}

extension FlowRecord.EndReason {
    /// The flow's end reason from an IPFIX `flowEndReason` (IE 136) value, also used by nfdump's
    /// EXflowMisc: 1 idle, 2 active, 3 end detected (FIN/RST), 4 forced end, 5 lack of resources.
    /// Unknown or absent (0) reads as idle, the usual reason an exporter emits a record.
    @inline(__always)
    init(exportedReason value: UInt8) {
        switch value {
        case 2: self = .active
        case 3: self = .fin
        case 4: self = .endOfInput
        case 5: self = .evicted
        default: self = .idle
        }
    }
}
