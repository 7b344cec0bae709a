/// DICOM upper-layer PDUs (PS3.8) and DIMSE command sets (PS3.7) for C-STORE associations.
///
/// Associations negotiate CT Image Storage with Explicit VR Little Endian; each image is a C-STORE-RQ
/// command PDV followed by data PDVs that carry one Pixel Data element, so Wireshark's DICOM dissector
/// reads every PDU as well formed.
public enum DICOMMessages {
    static let applicationContext = "1.2.840.10008.3.1.1.1"
    static let ctImageStorage = "1.2.840.10008.5.1.4.1.1.2"
    static let explicitLittleEndian = "1.2.840.10008.1.2.1"
    /// The presentation context every association uses.
    public static let presentationContext: UInt8 = 1
    /// Bytes of P-DATA-TF and PDV item headers in front of each data segment.
    public static let dataHeaderLength = 12
    /// Bytes of the Pixel Data element header at the start of an image's data.
    public static let pixelHeaderLength = 12

    /// A-ASSOCIATE-RQ from `calling` to `called` AE titles.
    public static func associateRequest(calling: String, called: String) -> [UInt8] {
        associate(type: 0x01, calling: calling, called: called, result: nil)
    }

    /// A-ASSOCIATE-AC accepting the presentation context.
    public static func associateAccept(calling: String, called: String) -> [UInt8] {
        associate(type: 0x02, calling: calling, called: called, result: 0)
    }

    /// A-RELEASE-RQ (`request`) or A-RELEASE-RP.
    public static func release(request: Bool) -> [UInt8] {
        [request ? 0x05 : 0x06, 0, 0, 0, 0, 4, 0, 0, 0, 0]
    }

    /// A P-DATA-TF PDU with one command PDV holding C-STORE-RQ for `instance`.
    public static func storeRequest(messageID: UInt16, instance: String) -> [UInt8] {
        var command: [UInt8] = []
        element(0x0002, uid: ctImageStorage, into: &command)
        element(0x0100, ushort: 0x0001, into: &command)
        element(0x0110, ushort: messageID, into: &command)
        element(0x0700, ushort: 0, into: &command)
        element(0x0800, ushort: 0x0000, into: &command)
        element(0x1000, uid: instance, into: &command)
        return commandPDU(command)
    }

    /// A P-DATA-TF PDU with one command PDV holding a successful C-STORE-RSP.
    public static func storeResponse(messageID: UInt16, instance: String) -> [UInt8] {
        var command: [UInt8] = []
        element(0x0002, uid: ctImageStorage, into: &command)
        element(0x0100, ushort: 0x8001, into: &command)
        element(0x0120, ushort: messageID, into: &command)
        element(0x0800, ushort: 0x0101, into: &command)
        element(0x0900, ushort: 0x0000, into: &command)
        element(0x1000, uid: instance, into: &command)
        return commandPDU(command)
    }

    /// The headers of a data segment: P-DATA-TF of `segmentLength` bytes with one PDV; `last` marks
    /// the image's final fragment.
    public static func dataHeader(segmentLength: Int, last: Bool) -> [UInt8] {
        let pdu = segmentLength - 6
        let pdv = pdu - 4
        return [0x04, 0x00] + be32(pdu) + be32(pdv) + [presentationContext, last ? 0x02 : 0x00]
    }

    /// The Pixel Data (7FE0,0010) OB element header for `length` bytes of pixels.
    public static func pixelDataHeader(length: Int) -> [UInt8] {
        [0xE0, 0x7F, 0x10, 0x00, 0x4F, 0x42, 0x00, 0x00] + le32(length)
    }

    private static func commandPDU(_ elements: [UInt8]) -> [UInt8] {
        var command: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00] + le32(elements.count)
        command += elements
        let pdv = command.count + 2
        return [0x04, 0x00] + be32(pdv + 4) + be32(pdv) + [presentationContext, 0x03] + command
    }

    private static func associate(type: UInt8, calling: String, called: String, result: UInt8?) -> [UInt8] {
        var body: [UInt8] = [0x00, 0x01, 0x00, 0x00]
        body += aeTitle(called) + aeTitle(calling)
        body += [UInt8](repeating: 0, count: 32)
        body += item(0x10, Array(applicationContext.utf8))
        var context: [UInt8] = [presentationContext, 0, result ?? 0, 0]
        if result == nil { context += item(0x30, Array(ctImageStorage.utf8)) }
        context += item(0x40, Array(explicitLittleEndian.utf8))
        body += item(result == nil ? 0x20 : 0x21, context)
        let maxLength = item(0x51, be32(16_384))
        let implementation = item(0x52, Array("1.2.826.0.1.3680043.10.1234".utf8))
        body += item(0x50, maxLength + implementation)
        return [type, 0x00] + be32(body.count) + body
    }

    private static func aeTitle(_ title: String) -> [UInt8] {
        let bytes = Array(title.utf8.prefix(16))
        return bytes + [UInt8](repeating: 0x20, count: 16 - bytes.count)
    }

    private static func item(_ type: UInt8, _ value: [UInt8]) -> [UInt8] {
        [type, 0x00, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
    }

    private static func element(_ tag: UInt16, uid: String, into out: inout [UInt8]) {
        var value = Array(uid.utf8)
        if value.count % 2 == 1 { value.append(0) }
        out += [0x00, 0x00, UInt8(tag & 0xFF), UInt8(tag >> 8)] + le32(value.count) + value
    }

    private static func element(_ tag: UInt16, ushort: UInt16, into out: inout [UInt8]) {
        out += [0x00, 0x00, UInt8(tag & 0xFF), UInt8(tag >> 8)] + le32(2) + [UInt8(ushort & 0xFF), UInt8(ushort >> 8)]
    }

    static func be32(_ value: Int) -> [UInt8] {
        [UInt8((value >> 24) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func le32(_ value: Int) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8((value >> 24) & 0xFF)]
    }
}
