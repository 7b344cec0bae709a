import FlowModel
import FuzzSupport
import Ingest

/// libFuzzer entry point: the input is an nfdump file (`nfcapd.*`), mapped from a scratch file by
/// ``NfdumpFile`` (header, appendix, block walk) and decoded block by block.
///
/// - Parameters:
///   - data: The fuzzer's input.
///   - size: Its length in bytes.
/// - Returns: 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    TemporaryFile.withContents(UnsafeRawBufferPointer(start: data, count: size)) { path in
        guard let file = try? NfdumpFile(path: path) else { return }
        let (flows, counters) = file.decodeAll()
        precondition(UInt64(flows.count) == counters.flows, "flows appended and counted disagree")
        _ = (file.statistics, file.ident, file.warnings)
    }
    return 0
}
