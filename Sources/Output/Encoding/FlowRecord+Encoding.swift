public import FlowModel

extension FlowBatch {
    /// The field names of a flow line, in order (the CSV header).
    public static let fieldNames = [
        "src", "dst", "sport", "dport", "proto", "first_seen", "last_seen", "duration_s",
        "packets_out", "bytes_out", "packets_in", "bytes_in", "tcp_flags", "continuation", "end",
    ]

    /// Encodes every flow of the batch as one record each.
    ///
    /// - Parameter encoder: Receives the records.
    public func encode(into encoder: inout RecordEncoder) {
        for i in 0..<count {
            let isLink = FlowRecord.Flags(rawValue: flags[i]).contains(.link)
            encoder.beginRecord()
            let src = IPAddress(high: srcHigh[i], low: srcLow[i])
            let dst = IPAddress(high: dstHigh[i], low: dstLow[i])
            if isLink {
                encoder.plainText("src", capacity: 17) { writeMAC(src.low, to: &$0) }
                encoder.plainText("dst", capacity: 17) { writeMAC(dst.low, to: &$0) }
                encoder.integer("sport", UInt64(0))
                encoder.integer("dport", UInt64(0))
                encoder.string("proto", EtherType.name(srcPort[i]))
            } else {
                encoder.address("src", src)
                encoder.address("dst", dst)
                encoder.integer("sport", UInt64(srcPort[i]))
                encoder.integer("dport", UInt64(dstPort[i]))
                encoder.string("proto", TransportProtocol.name(proto[i]))
            }
            encoder.timestamp("first_seen", firstSeen[i])
            encoder.timestamp("last_seen", lastSeen[i])
            encoder.number("duration_s", Double(lastSeen[i] &- firstSeen[i]) / 1e9, decimals: 9)
            encoder.integer("packets_out", packetsOut[i])
            encoder.integer("bytes_out", bytesOut[i])
            encoder.integer("packets_in", packetsIn[i])
            encoder.integer("bytes_in", bytesIn[i])
            encoder.integer("tcp_flags", UInt64(tcpFlagsOut[i] | tcpFlagsIn[i]))
            encoder.boolean("continuation", FlowRecord.Flags(rawValue: flags[i]).contains(.continuation))
            encoder.string("end", (FlowRecord.EndReason(rawValue: endReason[i]) ?? .endOfInput).name)
            encoder.endRecord()
        }
    }
}

/// Writes a 48-bit MAC address as `aa:bb:cc:dd:ee:ff` (17 bytes).
func writeMAC(_ value: UInt64, to cursor: inout TextCursor) {
    for shift in stride(from: 40, through: 0, by: -8) {
        cursor.hexByte(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        if shift != 0 { cursor.put(UInt8(ascii: ":")) }
    }
}

/// Names of EtherTypes for link-layer flows.
public enum EtherType {
    /// `arp`, `rarp`, `eapol`, `lldp`, `llc` (802.3 frames), else `eth:0x….`.
    ///
    /// - Parameter value: The EtherType (0 for 802.3/LLC frames).
    public static func name(_ value: UInt16) -> String {
        switch value {
        case 0: return "llc"
        case 0x0806: return "arp"
        case 0x8035: return "rarp"
        case 0x888E: return "eapol"
        case 0x88CC: return "lldp"
        default:
            let hex = String(value, radix: 16)
            return "eth:0x" + String(repeating: "0", count: 4 - hex.count) + hex
        }
    }
}
