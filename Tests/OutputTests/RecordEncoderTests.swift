import FlowModel
import Output
import Testing

/// Every field kind of ``RecordEncoder`` in both formats, byte for byte.
@Suite struct RecordEncoderTests {
    static func line(_ format: OutputFormat, _ fields: (inout RecordEncoder) -> Void) -> String {
        var encoder = RecordEncoder(format: format)
        encoder.beginRecord()
        fields(&encoder)
        encoder.endRecord()
        return String(decoding: encoder.bytes, as: UTF8.self)
    }

    static func everyKind(_ e: inout RecordEncoder) {
        e.address("src", IPAddress("10.1.2.3")!)
        e.address("dst", IPAddress("2001:db8::9")!)
        e.integer("u", UInt64.max)
        e.integer("i", Int64.min)
        e.integer("zero", Int64(0))
        e.timestamp("t", 1_709_294_405_250_000_000)
        e.number("d", 0.00797, decimals: 9)
        e.number("neg", -2.5)
        e.number("tiny", -0.0000001)
        e.number("inf", .infinity)
        e.number("big", 1e300)
        e.boolean("b", true)
        e.null("n")
        e.optionalString("o", nil)
        e.string("s", "plain")
        e.protocolField("p", 6)
        e.protocolField("q", 47)
        e.plainText("mac", capacity: 3) { $0.put("a:b") }
        e.plainString("old") { $0.append(contentsOf: "x".utf8) }
    }

    @Test func ndjson() {
        #expect(Self.line(.ndjson, Self.everyKind) == #"""
            {"src":"10.1.2.3","dst":"2001:db8::9","u":18446744073709551615,"i":-9223372036854775808,"zero":0,\#
            "t":"2024-03-01T12:00:05.250000000Z","d":0.00797,"neg":-2.5,"tiny":0,"inf":null,"big":1e+300,\#
            "b":true,"n":null,"o":null,"s":"plain","p":"tcp","q":47,"mac":"a:b","old":"x"}

            """#)
    }

    @Test func csv() {
        #expect(Self.line(.csv, Self.everyKind) == """
            10.1.2.3,2001:db8::9,18446744073709551615,-9223372036854775808,0,2024-03-01T12:00:05.250000000Z,\
            0.00797,-2.5,0,,1e+300,true,,,plain,tcp,47,a:b,x

            """)
    }

    @Test func jsonStringsAreEscaped() {
        #expect(Self.line(.ndjson) { $0.string("s", "a\"b\\c\nd\te\u{01}é") } == #"{"s":"a\"b\\c\nd\te\u0001é"}"# + "\n")
        #expect(Self.line(.ndjson) { $0.string("s", "") } == #"{"s":""}"# + "\n")
    }

    @Test func csvFieldsAreQuotedWhenNeeded() {
        #expect(Self.line(.csv) { $0.string("a", "x,y"); $0.string("b", "say \"hi\""); $0.string("c", "") }
                    == "\"x,y\",\"say \"\"hi\"\"\",\n")
    }

    @Test func headerOnlyInCSV() {
        var csv = RecordEncoder(format: .csv)
        csv.header(["a", "b"])
        #expect(String(decoding: csv.bytes, as: UTF8.self) == "a,b\n")
        var json = RecordEncoder(format: .ndjson)
        json.header(["a", "b"])
        #expect(json.bytes.isEmpty)
    }

    /// A copy of an encoder keeps its bytes when the other one writes on or forgets its own; the buffer
    /// grows past its first 64 KiB; ``RecordEncoder/withBytes(_:)`` sees what ``RecordEncoder/bytes`` holds.
    @Test func copiesAreIndependentAndTheBufferGrows() {
        var first = RecordEncoder(format: .ndjson)
        first.beginRecord(); first.integer("a", UInt64(1)); first.endRecord()
        var second = first
        second.beginRecord(); second.string("b", String(repeating: "x", count: 100_000)); second.endRecord()
        #expect(String(decoding: first.bytes, as: UTF8.self) == "{\"a\":1}\n")
        #expect(second.count == 8 + 6 + 100_000 + 3)
        #expect(second.withBytes { Array($0) } == second.bytes)
        let kept = second
        second.removeAll()
        #expect(second.count == 0 && kept.count == 100_017)
        first.removeAll()
        first.beginRecord(); first.boolean("c", false); first.endRecord()
        #expect(String(decoding: first.bytes, as: UTF8.self) == "{\"c\":false}\n")
    }

    /// Escaped strings longer than the buffer, every escape at once.
    @Test func longEscapedStringsGrowTheBuffer() {
        let value = String(repeating: "\"\\\n\u{01}", count: 20_000)
        let json = Self.line(.ndjson) { $0.string("s", value) }
        #expect(json == #"{"s":""# + String(repeating: #"\"\\\n\u0001"#, count: 20_000) + "\"}\n")
        let csv = Self.line(.csv) { $0.string("s", String(repeating: "a\"", count: 40_000)) }
        #expect(csv == "\"" + String(repeating: "a\"\"", count: 40_000) + "\"\n")
    }
}
