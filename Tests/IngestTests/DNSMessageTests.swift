import FlowModel
import Ingest
import Testing

/// Builds DNS messages byte by byte.
struct DNSBuilder {
    var bytes: [UInt8] = []

    mutating func u16(_ value: UInt16) { bytes += [UInt8(value >> 8), UInt8(value & 0xFF)] }
    mutating func u32(_ value: UInt32) { u16(UInt16(value >> 16)); u16(UInt16(value & 0xFFFF)) }
    mutating func name(_ text: String) {
        for label in text.split(separator: ".") { bytes.append(UInt8(label.utf8.count)); bytes += label.utf8 }
        bytes.append(0)
    }
    mutating func pointer(_ offset: Int) { u16(0xC000 | UInt16(offset)) }
    mutating func header(response: Bool = true, questions: UInt16 = 1, answers: UInt16) {
        u16(0x1234); u16(response ? 0x8180 : 0x0100); u16(questions); u16(answers); u16(0); u16(0)
    }
    mutating func question(_ text: String, type: UInt16 = 1) { name(text); u16(type); u16(1) }
    /// A record whose owner is a pointer to `owner` and whose data is `data`.
    mutating func record(owner: Int, type: UInt16, ttl: UInt32 = 300, _ data: [UInt8]) {
        pointer(owner); u16(type); u16(1); u32(ttl); u16(UInt16(data.count)); bytes += data
    }

    /// `www.Example.com` (question at 12) → CNAME `cdn.example.net` → CNAME `edge.example.net` → A + AAAA.
    static func cnameChain() -> (message: [UInt8], expected: [(String, String)]) {
        var b = DNSBuilder()
        b.header(answers: 4)
        b.question("www.Example.com")
        // CNAME www → cdn.example.net (written in full)
        var target = DNSBuilder(); target.name("cdn.example.net")
        b.record(owner: 12, type: 5, target.bytes)
        let cdnOffset = b.bytes.count - target.bytes.count
        // CNAME cdn → edge + pointer to "example.net" inside cdn.example.net
        var edge = DNSBuilder(); edge.bytes = [4] + Array("edge".utf8); edge.pointer(cdnOffset + 4)
        b.record(owner: cdnOffset, type: 5, edge.bytes)
        let edgeOffset = b.bytes.count - edge.bytes.count
        b.record(owner: edgeOffset, type: 1, [93, 184, 216, 34])
        b.record(owner: edgeOffset, type: 28, [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])
        return (b.bytes, [("www.example.com", "93.184.216.34"), ("www.example.com", "2001:db8::1")])
    }
}

@Suite("DNS response parsing")
struct DNSMessageTests {
    static func answers(_ bytes: [UInt8]) throws(DNSParseError) -> [DNSMessage.AddressRecord] {
        var result: Result<[DNSMessage.AddressRecord], DNSParseError> = .success([])
        bytes.withUnsafeBytes { raw in
            do throws(DNSParseError) { result = .success(try DNSMessage.addressAnswers(raw)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    @Test("A answers of a plain response")
    func plainA() throws {
        var b = DNSBuilder()
        b.header(answers: 2)
        b.question("pool.ntp.org")
        b.record(owner: 12, type: 1, ttl: 60, [154, 51, 12, 215])
        b.record(owner: 12, type: 1, ttl: 60, [185, 45, 112, 121])
        let records = try Self.answers(b.bytes)
        #expect(records.map(\.name) == ["pool.ntp.org", "pool.ntp.org"])
        #expect(records.map(\.address.description) == ["154.51.12.215", "185.45.112.121"])
        #expect(records.first?.ttl == 60)
    }

    @Test("CNAME chains with compression resolve to the queried name, A and AAAA")
    func cnameChain() throws {
        let (message, expected) = DNSBuilder.cnameChain()
        let records = try Self.answers(message)
        #expect(records.map(\.name) == expected.map(\.0))
        #expect(records.map(\.address.description) == expected.map(\.1))
    }

    @Test("queries are not responses")
    func query() {
        var b = DNSBuilder()
        b.header(response: false, answers: 0)
        b.question("example.com")
        #expect(throws: DNSParseError.notResponse) { try Self.answers(b.bytes) }
    }

    @Test("every truncation of a valid response fails cleanly")
    func truncations() throws {
        let (message, _) = DNSBuilder.cnameChain()
        for length in 0..<message.count {
            #expect(throws: DNSParseError.self) { try Self.answers(Array(message.prefix(length))) }
        }
    }

    @Test("corrupted responses never trap", arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func corruption(seed: UInt64) {
        let (message, _) = DNSBuilder.cnameChain()
        var state = seed &* 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        for _ in 0..<500 {
            var copy = message
            for _ in 0..<(1 + Int(next() % 4)) { copy[Int(next() % UInt64(copy.count))] = UInt8(truncatingIfNeeded: next()) }
            let outcome = Result { () throws(DNSParseError) in try Self.answers(copy) }
            if case .success(let records) = outcome { #expect(records.count <= 4) }
        }
    }

    @Test("pointer loops and forward pointers are rejected")
    func pointerLoops() {
        var selfLoop = DNSBuilder()
        selfLoop.header(answers: 0)
        selfLoop.pointer(12)  // question name points at itself
        selfLoop.u16(1); selfLoop.u16(1)
        #expect(throws: DNSParseError.pointerLoop(offset: 12)) { try Self.answers(selfLoop.bytes) }

        var twoStep = DNSBuilder()
        twoStep.header(answers: 0)
        twoStep.bytes += [1, UInt8(ascii: "a")]
        twoStep.pointer(16)  // at 14 → 16 (forward)
        twoStep.pointer(12)  // at 16 → 12 → 14 → 16 …
        #expect(throws: DNSParseError.pointerLoop(offset: 14)) { try Self.answers(twoStep.bytes) }
    }

    @Test("reserved label bits and over-long names are bad labels")
    func badLabels() {
        var reserved = DNSBuilder()
        reserved.header(answers: 0)
        reserved.bytes += [0x40, 0]
        #expect(throws: DNSParseError.badLabel(offset: 12)) { try Self.answers(reserved.bytes) }

        var long = DNSBuilder()
        long.header(answers: 0)
        for _ in 0..<5 { long.bytes.append(63); long.bytes += [UInt8](repeating: UInt8(ascii: "a"), count: 63) }
        long.bytes.append(0); long.u16(1); long.u16(1)
        #expect(throws: DNSParseError.self) { try Self.answers(long.bytes) }
    }

    @Test("other record types and wrong lengths are skipped")
    func skipsOthers() throws {
        var b = DNSBuilder()
        b.header(answers: 3)
        b.question("example.com")
        b.record(owner: 12, type: 16, [3, 0x61, 0x62, 0x63])  // TXT
        b.record(owner: 12, type: 1, [1, 2, 3])  // A with 3 bytes
        b.record(owner: 12, type: 1, [1, 2, 3, 4])
        #expect(try Self.answers(b.bytes).map(\.address.description) == ["1.2.3.4"])
    }

    @Test("the decoder hands DNS answers over UDP and TCP with the client address, and counts bad ones")
    func decoderSideList() {
        let (message, _) = DNSBuilder.cnameChain()
        let udp = FrameBuilder.ethernet(type: 0x0800, FrameBuilder.ipv4(
            src: FrameBuilder.v4B, dst: FrameBuilder.v4A, proto: 17, FrameBuilder.udp(src: 53, dst: 40000, message)))
        var tcpPayload: [UInt8] = [UInt8(message.count >> 8), UInt8(message.count & 0xFF)]
        tcpPayload += message
        let tcp = FrameBuilder.ethernet(type: 0x0800, FrameBuilder.ipv4(
            src: FrameBuilder.v4B, dst: FrameBuilder.v4A, proto: 6,
            FrameBuilder.tcp(src: 53, dst: 40001, flags: TCPFlags.ack | TCPFlags.psh, tcpPayload)))
        let cut = FrameBuilder.ethernet(type: 0x0800, FrameBuilder.ipv4(
            src: FrameBuilder.v4B, dst: FrameBuilder.v4A, proto: 17, FrameBuilder.udp(src: 53, dst: 40002, Array(message.prefix(30)))))
        let decoder = PacketDecoder(linkType: .ethernet)
        var batch = PacketBatch()
        var counters = DecodeCounters()
        var dns: [DNSAnswer] = []
        for frame in [udp, tcp, cut] {
            frame.withUnsafeBytes {
                decoder.decode(frame: $0, wireLength: UInt32(frame.count), timestamp: 7, into: &batch, counters: &counters,
                               dns: &dns)
            }
        }
        #expect(batch.count == 3)
        #expect(counters.dnsResponses == 3 && counters.dnsMalformed == 1)
        #expect(dns.count == 4)
        #expect(dns.allSatisfy { $0.client == IPAddress(v4: FrameBuilder.v4A) && $0.name == "www.example.com" && $0.time == 7 })
    }
}
