import FlowModel

/// Who really started a TCP flow whose handshake is not in the capture.
///
/// The flow stage takes the sender of the first packet as the initiator when it saw no SYN. A capture
/// that starts (or a flow table that times out) in the middle of a connection then makes the server the
/// "initiator" — which an egress detector would report as an inbound session from outside. When the
/// initiator sent no SYN, its port is a well-known one (below 1024) and the responder's is not, the
/// flow is read the other way round.
enum Orientation {
    /// Whether flow `i` of `flows` should be read with initiator and responder swapped.
    @inline(__always)
    static func isReversed(_ flows: FlowBatch, _ i: Int) -> Bool {
        flows.proto[i] == TransportProtocol.tcp
            && flows.tcpFlagsOut[i] & TCPFlags.syn == 0
            && flows.srcPort[i] < 1024 && flows.dstPort[i] >= 1024
    }

    /// Flow `i` as (src, dst, dport, bytes out, bytes in), swapped when ``isReversed(_:_:)``.
    @inline(__always)
    static func oriented(_ flows: FlowBatch, _ i: Int)
        -> (src: IPAddress, dst: IPAddress, dport: UInt16, bytesOut: UInt64, bytesIn: UInt64) {
        let a = IPAddress(high: flows.srcHigh[i], low: flows.srcLow[i])
        let b = IPAddress(high: flows.dstHigh[i], low: flows.dstLow[i])
        if isReversed(flows, i) { return (b, a, flows.srcPort[i], flows.bytesIn[i], flows.bytesOut[i]) }
        return (a, b, flows.dstPort[i], flows.bytesOut[i], flows.bytesIn[i])
    }
}
