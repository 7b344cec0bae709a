/// Information element ids medflow reads from NetFlow v9 / IPFIX records (v9 and IPFIX share 1–127).
enum InformationElement {
    static let octetDeltaCount: UInt16 = 1
    static let packetDeltaCount: UInt16 = 2
    static let protocolIdentifier: UInt16 = 4
    static let tcpControlBits: UInt16 = 6
    static let sourceTransportPort: UInt16 = 7
    static let sourceIPv4Address: UInt16 = 8
    static let destinationTransportPort: UInt16 = 11
    static let destinationIPv4Address: UInt16 = 12
    static let flowEndSysUpTime: UInt16 = 21
    static let flowStartSysUpTime: UInt16 = 22
    static let sourceIPv6Address: UInt16 = 27
    static let destinationIPv6Address: UInt16 = 28
    static let icmpTypeCodeIPv4: UInt16 = 32
    static let samplingInterval: UInt16 = 34
    static let samplerId: UInt16 = 48
    static let samplerRandomInterval: UInt16 = 50
    static let octetTotalCount: UInt16 = 85
    static let packetTotalCount: UInt16 = 86
    static let flowEndReason: UInt16 = 136
    static let icmpTypeCodeIPv6: UInt16 = 139
    static let flowStartSeconds: UInt16 = 150
    static let flowEndSeconds: UInt16 = 151
    static let flowStartMilliseconds: UInt16 = 152
    static let flowEndMilliseconds: UInt16 = 153
    static let flowStartMicroseconds: UInt16 = 154
    static let flowEndMicroseconds: UInt16 = 155
    static let flowStartNanoseconds: UInt16 = 156
    static let flowEndNanoseconds: UInt16 = 157
    static let systemInitTimeMilliseconds: UInt16 = 160
    static let flowDurationMilliseconds: UInt16 = 161
    static let selectorId: UInt16 = 302
    static let samplingPacketInterval: UInt16 = 305
    static let samplingPacketSpace: UInt16 = 306
    /// The private enterprise number of RFC 5103 reverse (biflow) elements.
    static let reversePEN: UInt32 = 29305
}

/// One field of a template: element id, length (65535 = variable, IPFIX only), enterprise number.
struct TemplateField: Sendable, Hashable {
    /// Element id without the enterprise bit.
    var id: UInt16
    /// Length in bytes; ``variableLength`` for IPFIX variable-length fields.
    var length: UInt16
    /// Private enterprise number; 0 for IANA elements.
    var enterprise: UInt32

    /// The IPFIX marker of a variable-length field.
    static let variableLength: UInt16 = 0xFFFF
}

/// A template or options template as the exporter announced it.
struct ExportTemplate: Sendable {
    /// The fields, scope fields first for options templates.
    var fields: [TemplateField]
    /// Scope fields at the start of ``fields`` (0 for a data template).
    var scopeCount: Int
    /// Whether this is an options template (its records describe the exporter, not flows).
    var isOptions: Bool
    /// The smallest record this template can describe (variable-length fields count 1 byte).
    var minimumLength: Int
    /// Whether every field has a fixed length.
    var isFixedLength: Bool

    /// Creates a template from its fields.
    init(fields: [TemplateField], scopeCount: Int, isOptions: Bool) {
        self.fields = fields
        self.scopeCount = scopeCount
        self.isOptions = isOptions
        var minimum = 0
        var fixed = true
        for field in fields {
            if field.length == TemplateField.variableLength {
                minimum += 1
                fixed = false
            } else {
                minimum += Int(field.length)
            }
        }
        minimumLength = minimum
        isFixedLength = fixed
    }
}
