internal import CZstd

/// Compresses a stream into one zstd frame with a content checksum, written to a ``FileSink`` as it
/// goes. The corresponding C function is `ZSTD_compressStream2`.
final class ZstdFrameEncoder: FrameEncoder {
    /// The level used when none is given: 1. On medflow's own files it compresses better than zstd's
    /// default 3 and about twice as fast (10 M-packet bulk run: egress NDJSON 12.4 MB to 1.20 MB at level 1,
    /// 1.35 MB at 3; its 134 MB flow file to 19.4 MB against 20.3 MB; the hospital sample's files likewise),
    /// and the egress file is compressed after the last packet, on the run's critical path.
    static let defaultLevel: Int32 = 1

    /// zstd's worker threads for a background encoder.
    static let backgroundWorkers = 2
    /// The input one background job compresses.
    static let backgroundJobBytes = 1 << 20

    private let context: OpaquePointer
    private let output: UnsafeMutableRawBufferPointer
    private let sink: FileSink

    /// Creates an encoder at compression `level` (zstd clamps it to its supported range); with
    /// `background`, zstd compresses on threads of its own while the caller encodes the next records
    /// (``backgroundWorkers`` workers, each job ``backgroundJobBytes`` of input: the frame differs from a
    /// single-threaded one, but is the same on every run and for every worker count). With zstd's default
    /// job size at level 3 (8 MiB) a file of a few MiB was compressed only at close, after the last
    /// record, on one core.
    /// A libzstd built without threads compresses on the caller's thread instead.
    init(level: Int32, background: Bool = false, sink: FileSink) throws(OutputError) {
        guard let context = ZSTD_createCCtx() else {
            throw OutputError(path: sink.path, detail: "zstd: cannot create a compression context")
        }
        self.context = context
        self.sink = sink
        self.output = .allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 16)
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level))
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1))
        if background, ZSTD_isError(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(Self.backgroundWorkers))) == 0 {
            _ = ZSTD_CCtx_setParameter(context, ZSTD_c_jobSize, Int32(Self.backgroundJobBytes))
        }  // an error: no threads here
    }

    deinit {
        ZSTD_freeCCtx(context)
        output.deallocate()
    }

    func encode(_ input: UnsafeRawBufferPointer) throws(OutputError) {
        guard let base = input.baseAddress, input.count > 0 else { return }
        var source = ZSTD_inBuffer(src: base, size: input.count, pos: 0)
        while source.pos < source.size {
            _ = try compress(&source, ZSTD_e_continue)
        }
    }

    func finish() throws(OutputError) {
        var source = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try compress(&source, ZSTD_e_end) != 0 {}
    }

    /// Runs one `ZSTD_compressStream2` step and writes its output; returns what zstd returns (for
    /// `ZSTD_e_end`, how many bytes are still to flush).
    private func compress(_ source: inout ZSTD_inBuffer, _ directive: ZSTD_EndDirective) throws(OutputError) -> Int {
        var destination = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let remaining = try check(ZSTD_compressStream2(context, &destination, &source, directive))
        try sink.write(UnsafeRawBufferPointer(rebasing: output[..<destination.pos]))
        return remaining
    }

    /// Returns `result`, or throws the zstd error it encodes, naming the output file.
    @discardableResult
    private func check(_ result: Int) throws(OutputError) -> Int {
        guard ZSTD_isError(result) != 0 else { return result }
        throw OutputError(path: sink.path, detail: "zstd: " + String(cString: ZSTD_getErrorName(result)))
    }
}
