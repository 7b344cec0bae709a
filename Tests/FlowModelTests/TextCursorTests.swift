import FlowModel
import Testing

/// Formatting through ``TextCursor``: numbers, hexadecimal, and the address text written with it.
@Suite struct TextCursorTests {
    static func text(capacity: Int = 64, _ body: (inout TextCursor) -> Void) -> String {
        var out: [UInt8] = Array("<".utf8)
        out.withText(capacity: capacity, body)
        out.append(UInt8(ascii: ">"))
        return String(decoding: out, as: UTF8.self)
    }

    @Test(arguments: [
        (UInt64(0), "0"), (7, "7"), (9, "9"), (10, "10"), (99, "99"), (100, "100"), (65_535, "65535"),
        (1_000_000_007, "1000000007"), (UInt64.max, "18446744073709551615"),
    ])
    func decimal(value: UInt64, text: String) {
        #expect(Self.text(capacity: 20) { $0.decimal(value) } == "<\(text)>")
    }

    @Test func digitsPadAndKeepTheLowestDigitsOfWiderValues() {
        #expect(Self.text { $0.digits(5, count: 2) } == "<05>")
        #expect(Self.text { $0.digits(0, count: 9) } == "<000000000>")
        #expect(Self.text { $0.digits(123_456_789, count: 9) } == "<123456789>")
        #expect(Self.text { $0.digits(12_345, count: 3) } == "<345>")
        #expect(Self.text { $0.digits(7, count: 0) } == "<>")
    }

    @Test func hexadecimal() {
        #expect(Self.text { $0.hex(0) } == "<0>")
        #expect(Self.text { $0.hex(0x0DB8) } == "<db8>")
        #expect(Self.text { $0.hex(0xFFFF) } == "<ffff>")
        #expect(Self.text { $0.hex(0x1000) } == "<1000>")
        #expect(Self.text { $0.hexByte(0x0A); $0.hexByte(0xF0) } == "<0af0>")
    }

    /// Two digits per division: every width from 0 to 20 against the standard library's text.
    @Test func digitsOfEveryWidthMatchTheStandardLibrary() {
        var rng = SystemRandomNumberGenerator()
        for count in 0...20 {
            for _ in 0..<200 {
                let value = UInt64.random(in: 0...UInt64.max, using: &rng) >> UInt64.random(in: 0...63, using: &rng)
                let full = String(repeating: "0", count: 20) + String(value)
                #expect(Self.text { $0.digits(value, count: count) } == "<\(full.suffix(count))>")
            }
        }
    }

    /// Every 16-bit value in hexadecimal, as `String(_:radix:)` writes it.
    @Test func hexadecimalOfEveryValue() {
        for value in 0...UInt16.max {
            var out: [UInt8] = []
            out.withText(capacity: 4) { $0.hex(value) }
            if String(decoding: out, as: UTF8.self) != String(value, radix: 16) {
                Issue.record("hex(\(value)) wrote \(String(decoding: out, as: UTF8.self))")
                return
            }
        }
    }

    @Test func bytesAndStaticText() {
        #expect(Self.text { $0.put("null"); $0.put(UInt8(ascii: ",")); $0.put("") } == "<null,>")
        #expect(Self.text(capacity: 0) { _ in } == "<>")
        let bytes: [UInt8] = Array("abc".utf8)
        var count = 0
        #expect(Self.text { cursor in bytes.withUnsafeBufferPointer { cursor.put($0) }; count = cursor.count } == "<abc>")
        #expect(count == 3)
    }

    /// RFC 5952 text: longest zero run compressed (the first on a tie, never a single group), lower case.
    @Test(arguments: [
        ("10.0.0.1", "10.0.0.1"), ("255.255.255.255", "255.255.255.255"), ("0.0.0.0", "0.0.0.0"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"), ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"), ("2001:db8:1:1:1:1:1:0", "2001:db8:1:1:1:1:1:0"),
        ("::", "::"), ("::1", "::1"), ("fe80::", "fe80::"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"),
    ])
    func addressText(input: String, text: String) throws {
        let address = try #require(IPAddress(input))
        #expect(Self.text(capacity: IPAddress.maximumTextLength) { address.write(to: &$0) } == "<\(text)>")
        #expect(address.description == text)
    }
}
