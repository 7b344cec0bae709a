/// A ``ByteStream`` that first replays bytes already taken from `base` (a peeked magic number), then
/// continues with `base`.
final class PrefixedByteStream: ByteStream {
    private var prefix: [UInt8]
    private var prefixPosition = 0
    private var base: any ByteStream

    /// Creates a stream returning `prefix` followed by the rest of `base`.
    init(prefix: [UInt8], base: any ByteStream) {
        self.prefix = prefix
        self.base = base
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(ParseError) -> Int {
        guard buffer.count > 0 else { return 0 }
        let remaining = prefix.count - prefixPosition
        guard remaining > 0 else { return try base.read(into: buffer) }
        let count = min(remaining, buffer.count)
        prefix.withUnsafeBytes { source in
            buffer.copyMemory(
                from: UnsafeRawBufferPointer(rebasing: source[prefixPosition..<prefixPosition + count])
            )
        }
        prefixPosition += count
        if prefixPosition == prefix.count {
            prefix = []
            prefixPosition = 0
        }
        return count
    }
}
