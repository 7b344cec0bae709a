/// Payloads of the plain-text and small binary protocols the hospital speaks: HL7 over MLLP, NTP,
/// TLS record headers, NetBIOS session headers, VNC banners.
public enum ClinicalMessages {
    /// An HL7 v2.5 ORU^R01 result message framed for MLLP (`0x0B … 0x1C 0x0D`).
    public static func hl7Result(sendingApp: String, controlID: Int, patient: Int, value: Int, timestamp: String) -> [UInt8] {
        let segments = [
            "MSH|^~\\&|\(sendingApp)|LAB|HL7ENGINE|HOSP|\(timestamp)||ORU^R01^ORU_R01|MSG\(controlID)|P|2.5",
            "PID|1||MRN\(100_000 + patient)^^^HOSP^MR||DOE^PAT\(patient)||19700101|U",
            "OBR|1|ORD\(controlID)||2708-6^Oxygen saturation^LN|||\(timestamp)",
            "OBX|1|NM|2708-6^Oxygen saturation^LN||\(value)|%|95-100|N|||F",
        ]
        return mllp(segments)
    }

    /// The HL7 engine's MLLP-framed application accept for `controlID`.
    public static func hl7Ack(controlID: Int, timestamp: String) -> [UInt8] {
        mllp(["MSH|^~\\&|HL7ENGINE|HOSP|LAB|LAB|\(timestamp)||ACK^R01^ACK|ACK\(controlID)|P|2.5",
              "MSA|AA|MSG\(controlID)"])
    }

    private static func mllp(_ segments: [String]) -> [UInt8] {
        [0x0B] + Array(segments.joined(separator: "\r").utf8) + [0x0D, 0x1C, 0x0D]
    }

    /// A 48-byte NTPv4 packet: `mode` 3 for a client request, 4 for a server reply.
    public static func ntp(mode: UInt8, unixNanoseconds: Int64) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 48)
        out[0] = (4 << 3) | mode
        out[1] = mode == 4 ? 2 : 0  // stratum
        out[2] = 8  // poll 2^8 s
        out[3] = 0xEC  // precision
        if mode == 4 { out[12...15] = [0x0A, 0x0A, 0x00, 0x01] }  // reference id of the upstream
        let seconds = UInt32(truncatingIfNeeded: unixNanoseconds / 1_000_000_000 + 2_208_988_800)
        let fraction = UInt32(truncatingIfNeeded: (unixNanoseconds % 1_000_000_000) * 4_294_967_296 / 1_000_000_000)
        for field in (mode == 4 ? [16, 32, 40] : [40]) {
            out[field] = UInt8(seconds >> 24)
            out[field + 1] = UInt8((seconds >> 16) & 0xFF)
            out[field + 2] = UInt8((seconds >> 8) & 0xFF)
            out[field + 3] = UInt8(seconds & 0xFF)
            out[field + 4] = UInt8(fraction >> 24)
            out[field + 5] = UInt8((fraction >> 16) & 0xFF)
        }
        return out
    }

    /// A TLS 1.2 application-data record header for `length` bytes of record body.
    public static func tlsRecordHeader(length: Int) -> [UInt8] {
        [0x17, 0x03, 0x03, UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
    }

    /// A NetBIOS session message header for `length` bytes of SMB.
    public static func netbiosHeader(length: Int) -> [UInt8] {
        [0x00, UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
    }

    /// The RFB (VNC) protocol version banner.
    public static let vncBanner = Array("RFB 003.008\n".utf8)
}
