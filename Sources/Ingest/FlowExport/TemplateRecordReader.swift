import FlowModel

/// The values of one v9/IPFIX data record that medflow uses; absent elements stay `nil`/0.
struct RecordValues {
    var src: IPAddress?
    var dst: IPAddress?
    var srcPort: UInt16 = 0
    var dstPort: UInt16 = 0
    var proto: UInt8 = 0
    var tcpFlags: UInt8 = 0
    var octets: UInt64?
    var packets: UInt64?
    var reverseOctets: UInt64 = 0
    var reversePackets: UInt64 = 0
    var startUptime: UInt32?
    var endUptime: UInt32?
    var startNs: Int64?
    var endNs: Int64?
    var durationMs: Int64?
    var icmpTypeCode: UInt16?
    var samplerId: UInt64?
    var samplingInterval: UInt64?
    var samplingSpace: UInt64?
    var systemInitMs: Int64?
    var endReason: UInt8 = 0
}

/// Reads one data record against its template.
enum TemplateRecordReader {
    /// Reads the record at `offset` of `set`, returning its values and its length, or `nil` when the
    /// record is cut short (a variable-length field or a fixed field runs past the set).
    ///
    /// Unsigned integers may use reduced-size encoding (1–8 bytes, big-endian); fields of other sizes
    /// for an element medflow reads are ignored. Enterprise elements are skipped by length, except RFC
    /// 5103 reverse octets/packets (PEN 29305), which fill the reverse counters.
    static func read(
        _ set: UnsafeRawBufferPointer, at offset: Int, template: ExportTemplate
    ) -> (values: RecordValues, length: Int)? {
        var values = RecordValues()
        var at = offset
        let end = set.count
        for field in template.fields {
            var length = Int(field.length)
            if field.length == TemplateField.variableLength {
                guard at < end else { return nil }
                length = Int(set[at])
                at += 1
                if length == 255 {
                    guard at + 2 <= end else { return nil }
                    length = Int(set[at]) << 8 | Int(set[at + 1])
                    at += 2
                }
            }
            guard length <= end - at else { return nil }
            if field.enterprise == 0 {
                apply(field.id, UnsafeRawBufferPointer(rebasing: set[at..<(at + length)]), to: &values)
            } else if field.enterprise == InformationElement.reversePEN, (1...8).contains(length) {
                let value = unsigned(UnsafeRawBufferPointer(rebasing: set[at..<(at + length)]))
                switch field.id {
                case InformationElement.octetDeltaCount: values.reverseOctets = value
                case InformationElement.packetDeltaCount: values.reversePackets = value
                default: break
                }
            }
            at += length
        }
        return (values, at - offset)
    }

    /// A big-endian unsigned integer of 1–8 bytes.
    @inline(__always)
    static func unsigned(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var value: UInt64 = 0
        for byte in bytes { value = value << 8 | UInt64(byte) }
        return value
    }

    /// Stores one IANA element's value.
    private static func apply(_ id: UInt16, _ bytes: UnsafeRawBufferPointer, to values: inout RecordValues) {
        let count = bytes.count
        if id == InformationElement.sourceIPv6Address || id == InformationElement.destinationIPv6Address {
            guard count == 16 else { return }
            let address = IPAddress(high: unsigned(UnsafeRawBufferPointer(rebasing: bytes[0..<8])),
                                    low: unsigned(UnsafeRawBufferPointer(rebasing: bytes[8..<16])))
            if id == InformationElement.sourceIPv6Address { values.src = address } else { values.dst = address }
            return
        }
        guard (1...8).contains(count) else { return }
        let value = unsigned(bytes)
        switch id {
        case InformationElement.sourceIPv4Address where count == 4: values.src = IPAddress(v4: UInt32(value))
        case InformationElement.destinationIPv4Address where count == 4: values.dst = IPAddress(v4: UInt32(value))
        case InformationElement.octetDeltaCount, InformationElement.octetTotalCount:
            values.octets = values.octets ?? value
        case InformationElement.packetDeltaCount, InformationElement.packetTotalCount:
            values.packets = values.packets ?? value
        case InformationElement.protocolIdentifier: values.proto = UInt8(truncatingIfNeeded: value)
        case InformationElement.tcpControlBits: values.tcpFlags = UInt8(truncatingIfNeeded: value)
        case InformationElement.sourceTransportPort: values.srcPort = UInt16(truncatingIfNeeded: value)
        case InformationElement.destinationTransportPort: values.dstPort = UInt16(truncatingIfNeeded: value)
        case InformationElement.flowStartSysUpTime: values.startUptime = UInt32(truncatingIfNeeded: value)
        case InformationElement.flowEndSysUpTime: values.endUptime = UInt32(truncatingIfNeeded: value)
        case InformationElement.flowStartSeconds: values.startNs = Int64(truncatingIfNeeded: value) &* 1_000_000_000
        case InformationElement.flowEndSeconds: values.endNs = Int64(truncatingIfNeeded: value) &* 1_000_000_000
        case InformationElement.flowStartMilliseconds: values.startNs = Int64(truncatingIfNeeded: value) &* 1_000_000
        case InformationElement.flowEndMilliseconds: values.endNs = Int64(truncatingIfNeeded: value) &* 1_000_000
        case InformationElement.flowStartMicroseconds, InformationElement.flowEndMicroseconds:
            let ns = ntpToNanoseconds(value, microseconds: true)
            if id == InformationElement.flowStartMicroseconds { values.startNs = ns } else { values.endNs = ns }
        case InformationElement.flowStartNanoseconds, InformationElement.flowEndNanoseconds:
            let ns = ntpToNanoseconds(value, microseconds: false)
            if id == InformationElement.flowStartNanoseconds { values.startNs = ns } else { values.endNs = ns }
        case InformationElement.flowDurationMilliseconds: values.durationMs = Int64(truncatingIfNeeded: value)
        case InformationElement.icmpTypeCodeIPv4, InformationElement.icmpTypeCodeIPv6:
            values.icmpTypeCode = UInt16(truncatingIfNeeded: value)
        case InformationElement.samplerId, InformationElement.selectorId: values.samplerId = value
        case InformationElement.samplingInterval, InformationElement.samplerRandomInterval,
            InformationElement.samplingPacketInterval:
            values.samplingInterval = value
        case InformationElement.samplingPacketSpace: values.samplingSpace = value
        case InformationElement.systemInitTimeMilliseconds: values.systemInitMs = Int64(truncatingIfNeeded: value)
        case InformationElement.flowEndReason: values.endReason = UInt8(truncatingIfNeeded: value)
        default: break
        }
    }

    /// An RFC 7011 `dateTimeMicroseconds`/`dateTimeNanoseconds` (NTP format: 32-bit seconds since 1900,
    /// 32-bit fraction) as ns since the Unix epoch. For microseconds the low 11 fraction bits are ignored.
    static func ntpToNanoseconds(_ value: UInt64, microseconds: Bool) -> Int64 {
        let seconds = Int64(value >> 32) - 2_208_988_800
        var fraction = value & 0xFFFF_FFFF
        if microseconds { fraction &= ~UInt64(0x7FF) }
        return seconds &* 1_000_000_000 &+ Int64((fraction &* 1_000_000_000) >> 32)
    }
}
