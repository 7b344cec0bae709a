/// The bytes that stand in for encrypted or binary payload, with precomputed checksum sums.
///
/// A 128 KiB block of pseudo-random bytes (fixed, independent of the seed) is sliced at even offsets.
/// `prefixSums[k]` is the plain (unfolded) sum of the big-endian 16-bit words of the first `k` bytes,
/// the last odd byte as a high byte, so the Internet checksum of any slice starting at an even offset
/// is one subtraction: packets never need their payload summed, and bytes past the snap length are
/// never written at all. That is what lets bulk generation run at millions of packets per second.
public final class Filler: Sendable {
    /// Bytes in the block; slices start in the first half and are at most 64 KiB long.
    public static let size = 1 << 17
    /// The shared block.
    public static let shared = Filler()

    /// The bytes.
    public let bytes: [UInt8]
    /// `prefixSums[k]`: sum of the 16-bit words of `bytes[0..<k]`.
    let prefixSums: [UInt64]

    private init() {
        var random = SplitMix64(seed: 0x6D65_6466_6C6F_7721)
        var bytes = [UInt8](repeating: 0, count: Self.size)
        for index in stride(from: 0, to: Self.size, by: 8) {
            let value = random.next()
            for shift in 0..<8 { bytes[index + shift] = UInt8(truncatingIfNeeded: value >> (shift * 8)) }
        }
        var sums = [UInt64](repeating: 0, count: Self.size + 1)
        var total: UInt64 = 0
        for index in 0..<Self.size {
            total += index & 1 == 0 ? UInt64(bytes[index]) << 8 : UInt64(bytes[index])
            sums[index + 1] = total
        }
        self.bytes = bytes
        self.prefixSums = sums
    }

    /// The unfolded word sum of `count` bytes starting at the even `offset`.
    func sum(offset: Int, count: Int) -> UInt64 { prefixSums[offset + count] - prefixSums[offset] }
}
