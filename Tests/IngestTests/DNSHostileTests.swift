import Ingest
import Testing

/// DNS compression built to hurt: long pointer chains, which must stop at ``DNSMessage/maxPointers``.
@Suite("DNS: hostile compression")
struct DNSHostileTests {
    /// A response whose question `k` (from 0) is a pointer to question `k - 1`'s name, so reading question `k`
    /// follows `k` pointers; question 0 is `a.example`.
    static func pointerChain(questions: Int) -> [UInt8] {
        var b = DNSBuilder()
        b.header(questions: UInt16(questions), answers: 0)
        b.question("a.example")
        var previous = 12
        for _ in 1..<questions {
            let here = b.bytes.count
            b.pointer(previous); b.u16(1); b.u16(1)
            previous = here
        }
        return b.bytes
    }

    @Test("a name reached through maxPointers pointers reads; one more is a loop")
    func pointerDepth() throws {
        #expect(DNSMessage.maxPointers == 32)
        #expect(try DNSMessageTests.answers(Self.pointerChain(questions: 33)).isEmpty)
        let error = #expect(throws: DNSParseError.self) { try DNSMessageTests.answers(Self.pointerChain(questions: 34)) }
        guard case .pointerLoop? = error else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test("a pointer to the pointer itself, and a label past the end of the message, fail cleanly")
    func selfAndOutside() {
        // Header (12 bytes, one question), then a name that is a pointer to offset 12: itself.
        let selfPointer: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1]
        #expect(throws: DNSParseError.pointerLoop(offset: 12)) { try DNSMessageTests.answers(selfPointer) }
        // A question name whose first label claims 63 bytes where 1 is left.
        let cut: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0x3F, 0x61]
        #expect(throws: DNSParseError.truncated(offset: 13, needed: 63)) { try DNSMessageTests.answers(cut) }
    }

    /// What `FuzzDNS` found: labels of bytes that are not ASCII came out as U+FFFD, three UTF-8 bytes
    /// each, so a legal 250-byte name became a 700-byte string.
    @Test("label bytes that are not printable ASCII become one '?' each: names stay within 255 bytes")
    func nonASCIILabels() throws {
        var b = DNSBuilder()
        b.header(answers: 1)
        for _ in 0..<4 { b.bytes.append(61); b.bytes += [UInt8](repeating: 0xE0, count: 60) + [UInt8(ascii: ".")] }
        b.bytes.append(0)
        b.u16(1); b.u16(1)
        b.record(owner: 12, type: 1, [10, 0, 0, 9])
        let answers = try DNSMessageTests.answers(b.bytes)
        #expect(answers.count == 1)
        let name = try #require(answers.first?.name)
        #expect(name.utf8.count == 4 * 61 + 3)
        #expect(name == Array(repeating: String(repeating: "?", count: 61), count: 4).joined(separator: "."))
    }
}
