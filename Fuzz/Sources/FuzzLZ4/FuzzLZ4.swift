import FuzzSupport
import Ingest

/// libFuzzer entry point: the input is a LZ4 frame stream, decompressed by ``LZ4FrameDecompressingStream`` read in
/// pieces whose sizes follow from the input's length, up to 16 MiB of output.
///
/// - Parameters:
///   - data: The fuzzer's input.
///   - size: Its length in bytes.
/// - Returns: 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let upstream = MemoryByteStream(Array(UnsafeBufferPointer(start: data, count: size)), maximumReadSize: 1 + size % 97)
    _ = try? drain(LZ4FrameDecompressingStream(upstream), bufferSize: 1 << (size % 17), limit: 16 << 20)
    return 0
}
