import FlowModel
import Testing

/// RFC 3339 text of timestamps, across the whole Int64 range (values from Python's datetime).
@Suite struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000000000Z"),
        (1_700_000_000_123_456_789, "2023-11-14T22:13:20.123456789Z"),
        (-1, "1969-12-31T23:59:59.999999999Z"),
        (Int64.max, "2262-04-11T23:47:16.854775807Z"),
        (Int64.min, "1677-09-21T00:12:43.145224192Z"),
        (1_709_294_405_250_000_000, "2024-03-01T12:00:05.250000000Z"),
    ])
    func rfc3339(nanoseconds: Int64, text: String) {
        var out: [UInt8] = Array("x".utf8)
        Timestamp(nanoseconds: nanoseconds).appendRFC3339(to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "x" + text)
    }
}
