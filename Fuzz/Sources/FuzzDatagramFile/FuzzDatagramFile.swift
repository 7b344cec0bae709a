import FlowModel
import FuzzSupport
import Ingest

/// libFuzzer entry point: the input is a file of raw NetFlow/IPFIX datagrams (length-prefixed or
/// concatenated), read by ``DatagramFileReader`` from a scratch file, a few datagrams per call.
///
/// - Parameters:
///   - data: The fuzzer's input.
///   - size: Its length in bytes.
/// - Returns: 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    TemporaryFile.withContents(UnsafeRawBufferPointer(start: data, count: size)) { path in
        guard let reader = try? DatagramFileReader(path: path,
                                                   limits: FlowExportLimits(maximumTemplates: 8, maximumPendingSets: 4))
        else { return }
        var batch = FlowBatch()
        while reader.next(into: &batch, maximumDatagrams: 3) {}
        precondition(UInt64(batch.count) == reader.decoder.counters.flows, "flows appended and counted disagree")
    }
    return 0
}
