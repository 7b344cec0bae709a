import FuzzSupport
import Ingest

/// libFuzzer entry point: the input is one DNS message (a UDP payload from port 53).
///
/// Any message may be rejected with a ``DNSParseError``; none may trap, read outside the message, or
/// take long (compression pointers must point backwards, and at most ``DNSMessage/maxPointers`` per name).
///
/// - Parameters:
///   - data: The fuzzer's input.
///   - size: Its length in bytes.
/// - Returns: 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let message = UnsafeRawBufferPointer(start: data, count: size)
    if let records = try? DNSMessage.addressAnswers(message) {
        for record in records {
            precondition(record.name.utf8.count <= 255, "a name longer than DNS allows")
        }
    }
    return 0
}
