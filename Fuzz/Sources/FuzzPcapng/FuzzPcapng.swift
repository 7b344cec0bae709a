import FuzzSupport
import Ingest

/// libFuzzer entry point: the input is a capture file for libpcap (pcapng, or classic pcap), read with
/// ``LibpcapReader`` from a scratch file and decoded record by record with DNS answers.
///
/// - Parameters:
///   - data: The fuzzer's input.
///   - size: Its length in bytes.
/// - Returns: 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    TemporaryFile.withContents(UnsafeRawBufferPointer(start: data, count: size)) { path in
        guard let reader = try? LibpcapReader(path: path) else { return }
        _ = try? decodeAll(reader, targetBytes: 256)
    }
    return 0
}
