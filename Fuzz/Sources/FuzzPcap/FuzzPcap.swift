import FlowModel
import FuzzSupport
import Ingest

/// libFuzzer entry point: the input is a classic pcap file.
///
/// It is read three times: by the reader medflow uses for plain files (``MappedPcapReader``, over the
/// input written to a scratch file), walking chunk ends and guessing them as the pipeline does, and by the
/// one for decompressed streams (``StreamPcapReader``, over the input handed out in small pieces); every
/// record is decoded with DNS answers. When no reader reports an error, all must have read the same
/// records, and the two mapped readings must have reported the same damage.
///
/// - Parameters:
///   - data: The fuzzer's input.
///   - size: Its length in bytes.
/// - Returns: 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let mapped: DecodeCounters? = TemporaryFile.withContents(input) { path in
        guard let reader = try? MappedPcapReader(path: path), let guessing = try? MappedPcapReader(path: path) else {
            return nil
        }
        let walked = try? decodeAll(reader, targetBytes: 256)
        if let walked, let guessed = try? decodeAllGuessing(guessing, targetBytes: 64 + size % 300) {
            precondition(walked.frames == guessed.frames && walked.wireBytes == guessed.wireBytes
                         && walked.appended == guessed.appended,
                         "walked and guessed chunk ends disagree: \(walked.frames) vs \(guessed.frames) records")
            precondition(reader.warnings == guessing.warnings, "walked and guessed chunk ends report other damage")
        }
        return walked
    }
    let stream = MemoryByteStream(Array(input), maximumReadSize: 1 + size % 97)
    let streamed: DecodeCounters? = (try? StreamPcapReader(stream: stream)).flatMap { try? decodeAll($0, targetBytes: 256) }
    if let mapped, let streamed {
        precondition(mapped.frames == streamed.frames && mapped.wireBytes == streamed.wireBytes,
                     "mapped and streamed readers disagree: \(mapped.frames) vs \(streamed.frames) records")
    }
    return 0
}
