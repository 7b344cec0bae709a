/// DNS messages (RFC 1035) as the hospital's clients and resolver exchange them.
public enum DNSMessage {
    /// Record types medflow writes.
    public enum RecordType: UInt16, Sendable {
        /// IPv4 address.
        case a = 1
        /// Canonical name.
        case cname = 5
        /// IPv6 address.
        case aaaa = 28
    }

    /// One answer record.
    public struct Answer: Sendable {
        /// Owner name.
        public var name: String
        /// The record's type.
        public var type: RecordType
        /// CNAME target for ``RecordType/cname``.
        public var target: String
        /// Address bytes (4 or 16) for A/AAAA.
        public var address: [UInt8]
        /// Time to live in seconds.
        public var ttl: UInt32

        /// Creates an answer.
        public init(name: String, type: RecordType, target: String = "", address: [UInt8] = [], ttl: UInt32 = 300) {
            self.name = name
            self.type = type
            self.target = target
            self.address = address
            self.ttl = ttl
        }
    }

    /// A standard recursive query for `name` of `type`.
    public static func query(id: UInt16, name: String, type: RecordType) -> [UInt8] {
        var out = header(id: id, flags: 0x0100, questions: 1, answers: 0)
        appendName(name, to: &out)
        append16(type.rawValue, to: &out)
        append16(1, to: &out)
        return out
    }

    /// The resolver's response: the question echoed, then the answers (a CNAME chain, then addresses).
    public static func response(id: UInt16, name: String, type: RecordType, answers: [Answer]) -> [UInt8] {
        var out = header(id: id, flags: 0x8180, questions: 1, answers: UInt16(answers.count))
        appendName(name, to: &out)
        append16(type.rawValue, to: &out)
        append16(1, to: &out)
        for answer in answers {
            if answer.name == name {
                append16(0xC00C, to: &out)  // pointer to the question's name
            } else {
                appendName(answer.name, to: &out)
            }
            append16(answer.type.rawValue, to: &out)
            append16(1, to: &out)
            append16(UInt16(answer.ttl >> 16), to: &out)
            append16(UInt16(answer.ttl & 0xFFFF), to: &out)
            var data: [UInt8] = []
            if answer.type == .cname { appendName(answer.target, to: &data) } else { data = answer.address }
            append16(UInt16(data.count), to: &out)
            out += data
        }
        return out
    }

    private static func header(id: UInt16, flags: UInt16, questions: UInt16, answers: UInt16) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        for value in [id, flags, questions, answers, 0, 0] { append16(value, to: &out) }
        return out
    }

    private static func appendName(_ name: String, to out: inout [UInt8]) {
        for label in name.split(separator: ".") {
            let bytes = Array(label.utf8.prefix(63))
            out.append(UInt8(bytes.count))
            out += bytes
        }
        out.append(0)
    }

    static func append16(_ value: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(value >> 8))
        out.append(UInt8(value & 0xFF))
    }
}
