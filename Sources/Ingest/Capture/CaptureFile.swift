/// Opens capture files by their content, not their name.
public enum CaptureFile {
    /// The pcapng Section Header Block type, the first four bytes of every pcapng file.
    static let pcapngMagic: UInt32 = 0x0A0D_0D0A

    /// Opens `path` with the reader its content calls for: classic pcap read with `read(2)` into pooled
    /// chunk buffers (``StreamPcapReader``), pcapng through libpcap, and either inside a zstd or lz4
    /// stream decompressed on the fly.
    ///
    /// Plain pcap files used to be mapped (``MappedPcapReader``). On the 10 M-packet bulk capture the
    /// mapping cost more than the copy it saved: the first touch of every page faulted, walking the
    /// record headers of fresh pages stalled on each one (10 % of the run's samples), and handing the
    /// decoded pages back took an `madvise` per chunk; a `read(2)` into a buffer that is reused is one
    /// kernel copy (8 %) and leaves the bytes in the cache for the walk. Paired runs: −6 % CPU, for
    /// about 40 MB more peak RSS (the buffers of the chunks read and being decoded).
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
            case let magic? where PcapFileHeader.isPcapMagic(magic): reader = try StreamPcapReader(stream: rawReplay)
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
