import FlowModel
import FuzzSupport
import Ingest

/// The link types the first input byte chooses from: every one the decoder reads, and one it does not.
let linkTypes: [LinkType] = LinkType.supported.sorted { $0.rawValue < $1.rawValue } + [LinkType(rawValue: 147)]

/// libFuzzer entry point: the first byte picks a link type, the rest is one captured frame.
///
/// The frame is decoded with DNS answers and without; both calls must append the same row (or none),
/// and the counters must account for the frame exactly once.
///
/// - Parameters:
///   - data: The fuzzer's input.
///   - size: Its length in bytes.
/// - Returns: 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let decoder = PacketDecoder(linkType: linkTypes[Int(data[0]) % linkTypes.count])
    let frame = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let wireLength = UInt32(frame.count) &+ UInt32(data[0] >> 4)

    var withDNS = PacketBatch(), withoutDNS = PacketBatch()
    var countersWithDNS = DecodeCounters(), countersWithoutDNS = DecodeCounters()
    var answers: [DNSAnswer] = []
    decoder.decode(frame: frame, wireLength: wireLength, timestamp: 1, into: &withDNS, counters: &countersWithDNS,
                   dns: &answers)
    decoder.decode(frame: frame, wireLength: wireLength, timestamp: 1, into: &withoutDNS,
                   counters: &countersWithoutDNS)

    precondition(countersWithDNS.frames == 1 && countersWithDNS.appended + countersWithDNS.skipped == 1,
                 "one frame must land in exactly one counter")
    precondition(withDNS.count == Int(countersWithDNS.appended), "rows and counters disagree")
    precondition(withDNS.count == withoutDNS.count, "the DNS-reading decode appended a different number of rows")
    if withDNS.count == 1 {
        precondition(withDNS.srcLow == withoutDNS.srcLow && withDNS.dstLow == withoutDNS.dstLow
                     && withDNS.srcPort == withoutDNS.srcPort && withDNS.dstPort == withoutDNS.dstPort
                     && withDNS.proto == withoutDNS.proto && withDNS.flags == withoutDNS.flags,
                     "the DNS-reading decode appended a different row")
    }
    precondition(answers.isEmpty || countersWithDNS.dnsResponses == 1, "DNS answers from a frame not read as DNS")
    return 0
}
