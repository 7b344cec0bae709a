import FlowModel
import FuzzSupport
import Ingest

/// libFuzzer entry point: the input is a classic pcap file.
///
/// It is read twice, by the reader medflow uses for plain files (``MappedPcapReader``, over the input
/// written to a scratch file) and by the one for decompressed streams (``StreamPcapReader``, over the
/// input handed out in small pieces), and every record is decoded with DNS answers. When neither reader
/// reports an error, both must have read the same records.
///
/// - Parameters:
///   - data: The fuzzer's input.
///   - size: Its length in bytes.
/// - Returns: 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let mapped: DecodeCounters? = TemporaryFile.withContents(input) { path in
        guard let reader = try? MappedPcapReader(path: path) else { return nil }
        return try? decodeAll(reader, targetBytes: 256)
    }
    let stream = MemoryByteStream(Array(input), maximumReadSize: 1 + size % 97)
    let streamed: DecodeCounters? = (try? StreamPcapReader(stream: stream)).flatMap { try? decodeAll($0, targetBytes: 256) }
    if let mapped, let streamed {
        precondition(mapped.frames == streamed.frames && mapped.wireBytes == streamed.wireBytes,
                     "mapped and streamed readers disagree: \(mapped.frames) vs \(streamed.frames) records")
    }
    return 0
}
