/// Internet checksum arithmetic (RFC 1071) over unfolded sums.
enum Checksum {
    /// The plain sum of the big-endian 16-bit words of `count` bytes at `pointer` (odd last byte padded).
    static func sum(_ pointer: UnsafeRawPointer, count: Int) -> UInt64 {
        var total: UInt64 = 0
        var index = 0
        // Four big-endian words at a time: the sum of two 32-bit halves folds to the same 16-bit sum.
        while index + 8 <= count {
            let value = UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            total += (value >> 32) + (value & 0xFFFF_FFFF)
            index += 8
        }
        while index + 1 < count {
            total += UInt64(UInt16(bigEndian: pointer.loadUnaligned(fromByteOffset: index, as: UInt16.self)))
            index += 2
        }
        if index < count { total += UInt64(pointer.load(fromByteOffset: index, as: UInt8.self)) << 8 }
        return total
    }

    /// Folds a sum to 16 bits with end-around carry.
    static func fold(_ sum: UInt64) -> UInt16 {
        var value = sum
        while value > 0xFFFF { value = (value & 0xFFFF) + (value >> 16) }
        return UInt16(value)
    }

    /// The sum of bytes that start at an odd position of the checksummed data: their word sum byte-swapped.
    static func shiftedOdd(_ sum: UInt64) -> UInt64 { UInt64(fold(sum).byteSwapped) }

    /// The checksum field value for a sum: its complement. UDP alone sends a computed 0 as 0xFFFF
    /// (RFC 768: 0 means "no checksum"); TCP and IPv4 keep 0.
    static func field(_ sum: UInt64, udp: Bool = false) -> UInt16 {
        let value = ~fold(sum)
        return udp && value == 0 ? 0xFFFF : value
    }
}
