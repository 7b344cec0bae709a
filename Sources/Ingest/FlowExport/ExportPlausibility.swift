/// Strict checks that a UDP payload is a whole NetFlow v5/v9 or IPFIX message, used to find the export
/// port in a capture when none is given: every length in the message must add up.
enum ExportPlausibility {
    /// Whether `payload` is exactly one well-formed export message header-and-sets wise.
    static func isExportMessage(_ payload: UnsafeRawBufferPointer) -> Bool {
        guard payload.count >= 20 else { return false }
        switch be16(payload, 0) {
        case 5:
            let count = Int(be16(payload, 2))
            return (1...30).contains(count) && payload.count == 24 + count * 48
        case 9:
            return setsAddUp(payload, from: 20, end: payload.count, version: 9)
        case 10:
            return Int(be16(payload, 2)) == payload.count && setsAddUp(payload, from: 16, end: payload.count, version: 10)
        default:
            return false
        }
    }

    /// Whether the sets from `from` tile the message up to `end` (v9 may leave up to 3 padding bytes).
    private static func setsAddUp(_ bytes: UnsafeRawBufferPointer, from: Int, end: Int, version: UInt16) -> Bool {
        var at = from
        var sets = 0
        while end - at >= 4 {
            let id = be16(bytes, at), length = Int(be16(bytes, at + 2))
            let known = version == 9 ? (id <= 1 || id >= 256) : (id == 2 || id == 3 || id >= 256)
            guard known, length >= 4, length <= end - at else { return false }
            at += length
            sets += 1
        }
        return sets > 0 && at == end || (version == 9 && sets > 0 && end - at < 4)
    }
}
