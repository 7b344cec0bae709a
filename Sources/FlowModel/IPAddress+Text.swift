extension IPAddress: CustomStringConvertible {
    /// Dotted-quad for IPv4, RFC 5952 text for IPv6 (lower case, longest zero run compressed).
    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(39)
        appendText(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The longest text ``write(to:)`` writes: a full IPv6 address, eight groups of four digits.
    public static let maximumTextLength = 39

    /// Appends the address's text form as ASCII bytes, without allocating a `String`.
    ///
    /// - Parameter out: The buffer the text is appended to.
    public func appendText(to out: inout [UInt8]) {
        out.withText(capacity: Self.maximumTextLength) { write(to: &$0) }
    }

    /// Writes the address's text form (at most ``maximumTextLength`` bytes) at `cursor`.
    public func write(to cursor: inout TextCursor) {
        if isIPv4 {
            let value = v4
            cursor.decimal(UInt64(value >> 24))
            cursor.put(UInt8(ascii: "."))
            cursor.decimal(UInt64(value >> 16 & 0xFF))
            cursor.put(UInt8(ascii: "."))
            cursor.decimal(UInt64(value >> 8 & 0xFF))
            cursor.put(UInt8(ascii: "."))
            cursor.decimal(UInt64(value & 0xFF))
            return
        }
        @inline(__always) func group(_ i: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (i < 4 ? high : low) >> UInt64(48 - 16 * (i & 3)))
        }
        // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first one on a tie.
        var bestStart = -1, bestLength = 1, runStart = -1
        for i in 0...8 {
            if i < 8 && group(i) == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        var i = 0
        while i < 8 {
            if i == bestStart {
                cursor.put(UInt8(ascii: ":"))
                if i == 0 { cursor.put(UInt8(ascii: ":")) }
                i += bestLength
                continue
            }
            cursor.hex(group(i))
            if i < 7 { cursor.put(UInt8(ascii: ":")) }
            i += 1
        }
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with `::` and an embedded IPv4 tail).
    ///
    /// - Parameter text: The address text, without a prefix length or zone.
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        if !utf8.contains(UInt8(ascii: ":")) {
            guard let value = IPAddress.parseV4(utf8[...]) else { return nil }
            self.init(v4: value)
            return
        }
        guard let (high, low) = IPAddress.parseV6(utf8) else { return nil }
        self.init(high: high, low: low)
    }

    static func parseV4(_ text: ArraySlice<UInt8>) -> UInt32? {
        var value: UInt32 = 0, octets = 0, current: UInt32 = 0, digits = 0
        for byte in text {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, octets < 3 else { return nil }
                value = value << 8 | current
                octets += 1; current = 0; digits = 0
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard digits <= 3, current <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, octets == 3 else { return nil }
        return value << 8 | current
    }

    static func parseV6(_ text: [UInt8]) -> (UInt64, UInt64)? {
        var head: [UInt16] = [], tail: [UInt16] = []
        var sawDoubleColon = false
        var index = 0
        if text.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
            sawDoubleColon = true
            index = 2
        }
        while index < text.count {
            var end = index
            while end < text.count && text[end] != UInt8(ascii: ":") { end += 1 }
            let piece = text[index..<end]
            if piece.contains(UInt8(ascii: ".")) {
                guard end == text.count, let v4 = parseV4(piece) else { return nil }
                let pair = [UInt16(v4 >> 16), UInt16(truncatingIfNeeded: v4)]
                if sawDoubleColon { tail += pair } else { head += pair }
                index = end
                break
            }
            guard !piece.isEmpty, piece.count <= 4, let group = UInt16(String(decoding: piece, as: UTF8.self), radix: 16)
            else { return nil }
            if sawDoubleColon { tail.append(group) } else { head.append(group) }
            index = end
            if index < text.count {
                index += 1  // the ':'
                if index < text.count && text[index] == UInt8(ascii: ":") {
                    guard !sawDoubleColon else { return nil }
                    sawDoubleColon = true
                    index += 1
                } else if index == text.count {
                    return nil  // trailing single ':'
                }
            }
        }
        let count = head.count + tail.count
        guard sawDoubleColon ? count <= 7 : count == 8 else { return nil }
        let groups = head + [UInt16](repeating: 0, count: 8 - count) + tail
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<4 {
            high = high << 16 | UInt64(groups[i])
            low = low << 16 | UInt64(groups[i + 4])
        }
        return (high, low)
    }
}
