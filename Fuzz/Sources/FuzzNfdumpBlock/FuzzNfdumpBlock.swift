import FlowModel
import FuzzSupport
import Ingest

/// One block decoder per compression, made once: each owns a 5 MiB plain buffer.
let decoders: [NfdumpBlockDecoder] = NfdumpCompression.allCases.map { NfdumpBlockDecoder(compression: $0) }

/// libFuzzer entry point: one nfdump data block without the file around it.
///
/// Layout: `u8 compression` (modulo the five nfdump knows), `u32 record count` and `u16 block type`
/// (little-endian, as in a block header), then the stored payload, decompressed by the block codec and
/// walked record by record.
///
/// - Parameters:
///   - data: The fuzzer's input.
///   - size: Its length in bytes.
/// - Returns: 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 7 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let decoder = decoders[Int(data[0]) % decoders.count]
    let records = input.loadUnaligned(fromByteOffset: 1, as: UInt32.self)
    let type = input.loadUnaligned(fromByteOffset: 5, as: UInt16.self)
    let block = NfdumpRawBlock(offset: 0, recordCount: UInt32(littleEndian: records), type: UInt16(littleEndian: type),
                               payload: 7..<size)
    var batch = FlowBatch()
    var counters = FlowInputCounters()
    _ = decoder.decode(block, in: input, into: &batch, counters: &counters)
    precondition(UInt64(batch.count) == counters.flows, "flows appended and counted disagree")
    return 0
}
