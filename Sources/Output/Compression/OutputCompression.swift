/// How a result file is compressed.
public enum OutputCompression: String, CaseIterable, Sendable {
    /// Zstandard frames, read by `zstd -dc` and `zstdcat`. The default.
    case zstd
    /// LZ4 frames, read by `lz4 -dc`.
    case lz4
    /// No compression: the bytes as written.
    case none

    /// The suffix that names files of this compression: `".zst"`, `".lz4"` or `""`.
    public var fileExtension: String {
        switch self {
        case .zstd: ".zst"
        case .lz4: ".lz4"
        case .none: ""
        }
    }

    /// Creates the encoder for this compression that writes to `sink`.
    func makeEncoder(level: Int32?, background: Bool = false, sink: FileSink) throws(OutputError) -> any FrameEncoder {
        switch self {
        case .zstd: try ZstdFrameEncoder(level: level ?? ZstdFrameEncoder.defaultLevel, background: background, sink: sink)
        case .lz4: try LZ4FrameEncoder(level: level ?? LZ4FrameEncoder.defaultLevel, sink: sink)
        case .none: PassthroughEncoder(sink: sink)
        }
    }
}
