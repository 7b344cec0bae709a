/// Opens capture files by their content, not their name.
public enum CaptureFile {
    /// The pcapng Section Header Block type, the first four bytes of every pcapng file.
    static let pcapngMagic: UInt32 = 0x0A0D_0D0A

    /// Opens `path` with the reader its content calls for: a classic pcap file mapped (``MappedPcapReader``;
    /// one that is not a regular file, such as a pipe, read with `read(2)` by ``StreamPcapReader``),
    /// pcapng through libpcap, and either inside a zstd or lz4 stream decompressed on the fly.
    ///
    /// Plain pcap files were read with `read(2)` into pooled buffers from the eighth session to the
    /// thirteenth: then, the first touch of every mapped page faulted and the header walk stalled on each.
    /// On this machine's current kernel (6.18: the faults map 64 KB of cached pages at a time), with each
    /// chunk's pages mapped in one `MADV_POPULATE_READ` and the walk prefetching the next 4 KB, the mapping
    /// costs less than the copy: on the 10 M-packet bulk capture the reading thread's share of the samples
    /// fell from 17.5–20.7 % to 12.3–12.9 % (three runs each), about 0.1 s of CPU, with the same peak RSS.
    ///
    /// - Parameter path: The capture file.
    /// - Returns: A reader positioned at the first record.
    /// - Throws: `ParseError` when the file cannot be read, is not a capture, or has a link type medflow
    ///   does not decode.
    public static func open(path: String) throws(ParseError) -> any CaptureReader {
        var raw: any ByteStream = try FileByteStream(path: path)
        let (rawMagic, rawReplay) = try peekMagic(&raw)
        let reader: any CaptureReader
        if rawMagic.compression == .none {
            switch rawMagic.value {
            case let magic? where PcapFileHeader.isPcapMagic(magic):
                reader = isRegularFile(path) ? try MappedPcapReader(path: path) : try StreamPcapReader(stream: rawReplay)
            case pcapngMagic?: reader = try LibpcapReader(path: path)
            case let magic?: throw .badMagic(offset: 0, value: magic)
            case nil: throw .truncated(offset: 0, needed: 4, available: rawMagic.bytesArray.count)
            }
        } else {
            var stream = try CompressionFormat.open(path: path)
            let (magic, replay) = try peekMagic(&stream)
            switch magic.value {
            case let value? where PcapFileHeader.isPcapMagic(value): reader = try StreamPcapReader(stream: replay)
            case pcapngMagic?: reader = try LibpcapReader(stream: replay)
            case let value?: throw .badMagic(offset: 0, value: value)
            case nil: throw .truncated(offset: 0, needed: 4, available: magic.bytesArray.count)
            }
        }
        guard LinkType.supported.contains(reader.linkType) else {
            throw .unsupported(offset: 20, what: "link type \(reader.linkType)")
        }
        return reader
    }

    /// The first four bytes of a stream, and a stream that replays them.
    struct Magic {
        var bytesArray: [UInt8]
        var compression: CompressionFormat { bytesArray.withUnsafeBytes { CompressionFormat.detect($0) } }
        var value: UInt32? {
            bytesArray.count == 4 ? bytesArray.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } : nil
        }
    }

    private static func peekMagic(_ stream: inout any ByteStream) throws(ParseError) -> (Magic, any ByteStream) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4, alignment: 4)
        defer { buffer.deallocate() }
        let count = try readFully(&stream, into: buffer)
        let bytes = Array(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        return (Magic(bytesArray: bytes), PrefixedByteStream(prefix: bytes, base: stream))
    }
}
