import FlowModel
import FuzzSupport
import Ingest

/// libFuzzer entry point: the input is a conversation of NetFlow v5/v9/IPFIX datagrams from up to four
/// exporters, cut by ``DatagramSplitter`` (a 2-byte prefix per datagram), fed to one
/// ``FlowExportDecoder`` so that templates, held data sets, sampling options and their limits carry over
/// from datagram to datagram.
///
/// The limits are small so that eviction and dropping are reached with inputs of a few kilobytes.
///
/// - Parameters:
///   - data: The fuzzer's input.
///   - size: Its length in bytes.
/// - Returns: 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let decoder = FlowExportDecoder(limits: FlowExportLimits(maximumTemplates: 8, maximumPendingSets: 4,
                                                             pendingSeconds: 60))
    var batch = FlowBatch()
    var datagrams: UInt64 = 0
    for (datagram, exporter) in DatagramSplitter(UnsafeRawBufferPointer(start: data, count: size)) {
        _ = FlowExportDecoder.looksLikeExport(datagram)
        decoder.decode(datagram, exporter: exporter, into: &batch)
        datagrams += 1
    }
    decoder.finish()
    let counters = decoder.counters
    precondition(counters.containers == datagrams, "every datagram counts once")
    precondition(UInt64(batch.count) == counters.flows, "flows appended and counted disagree")
    for index in 0..<batch.count {
        precondition(batch.firstSeen[index] <= batch.lastSeen[index], "a flow ends before it starts")
    }
    return 0
}
