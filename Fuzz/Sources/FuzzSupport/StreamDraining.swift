public import Ingest

/// Reads `stream` to its end (or to `limit` bytes) in reads of `bufferSize` bytes, and checks the
/// ``ByteStream`` contract on the way: no read returns more than it was given room for.
///
/// - Parameters:
///   - stream: The stream to read.
///   - bufferSize: The room offered to each read.
///   - limit: Stop after this many bytes, so a small compressed bomb costs the fuzzer bounded time.
/// - Returns: The bytes read.
/// - Throws: What the stream throws.
public func drain(_ stream: any ByteStream, bufferSize: Int, limit: Int) throws(ParseError) -> Int {
    var stream = stream
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
    defer { buffer.deallocate() }
    var total = 0
    while total < limit {
        let count = try stream.read(into: buffer)
        precondition(count >= 0 && count <= bufferSize, "read returned \(count) bytes into a \(bufferSize)-byte buffer")
        if count == 0 {
            // The end is sticky: another read must not produce more bytes.
            let again = try stream.read(into: buffer)
            precondition(again == 0, "a stream produced \(again) bytes after its end")
            break
        }
        total += count
    }
    return total
}
