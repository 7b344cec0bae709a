internal import CLZ4

/// Compresses a stream into one LZ4 frame (256 KiB linked blocks, content checksum), written to a
/// ``FileSink`` as it goes. The corresponding C functions are `LZ4F_compressBegin`,
/// `LZ4F_compressUpdate` and `LZ4F_compressEnd`.
final class LZ4FrameEncoder: FrameEncoder {
    /// The level used when none is given: 0, LZ4's fast mode (what `lz4` uses without `-#`).
    static let defaultLevel: Int32 = 0
    /// The most input one `LZ4F_compressUpdate` call receives; the output buffer is sized for it.
    static let maximumInputChunk = 1 << 20

    private let context: OpaquePointer
    private var preferences: LZ4F_preferences_t
    private let output: UnsafeMutableRawBufferPointer
    private let sink: FileSink

    /// Creates an encoder at compression `level` and writes the frame header.
    init(level: Int32, sink: FileSink) throws(OutputError) {
        var context: OpaquePointer?
        let status = LZ4F_createCompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(status) == 0, let context else {
            throw OutputError(path: sink.path, detail: "lz4: cannot create a compression context")
        }
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = LZ4F_max256KB
        preferences.frameInfo.blockMode = LZ4F_blockLinked
        preferences.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled
        preferences.compressionLevel = level
        // Input mostly arrives in 1 MiB pieces, whole blocks: compress them straight from the caller's buffer
        // instead of copying them into LZ4F's block buffer first.
        preferences.autoFlush = 1
        let capacity = max(LZ4F_compressBound(Self.maximumInputChunk, &preferences), Int(LZ4F_HEADER_SIZE_MAX))
        self.context = context
        self.preferences = preferences
        self.sink = sink
        self.output = .allocate(byteCount: capacity, alignment: 16)
        let headerSize = try check(LZ4F_compressBegin(context, output.baseAddress, output.count, &self.preferences))
        try sink.write(UnsafeRawBufferPointer(rebasing: output[..<headerSize]))
    }

    deinit {
        _ = LZ4F_freeCompressionContext(context)
        output.deallocate()
    }

    func encode(_ input: UnsafeRawBufferPointer) throws(OutputError) {
        var offset = 0
        while offset < input.count {
            let count = min(Self.maximumInputChunk, input.count - offset)
            let written = try check(
                LZ4F_compressUpdate(context, output.baseAddress, output.count, input.baseAddress! + offset, count, nil)
            )
            try sink.write(UnsafeRawBufferPointer(rebasing: output[..<written]))
            offset += count
        }
    }

    func finish() throws(OutputError) {
        let written = try check(LZ4F_compressEnd(context, output.baseAddress, output.count, nil))
        try sink.write(UnsafeRawBufferPointer(rebasing: output[..<written]))
    }

    /// Returns `result`, or throws the LZ4F error it encodes, naming the output file.
    private func check(_ result: Int) throws(OutputError) -> Int {
        guard LZ4F_isError(result) != 0 else { return result }
        throw OutputError(path: sink.path, detail: "lz4: " + String(cString: LZ4F_getErrorName(result)))
    }
}
