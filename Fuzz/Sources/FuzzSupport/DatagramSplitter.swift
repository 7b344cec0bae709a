public import FlowModel

/// Cuts one fuzzer input into the datagrams of a conversation with several exporters.
///
/// Layout: `prefix datagram prefix datagram …`, where each `prefix` is a big-endian 16-bit word whose
/// low 14 bits are the datagram's length and whose top 2 bits pick one of four exporter addresses. A
/// last datagram shorter than its prefix says is passed on as it is (the decoder must cope with cut
/// datagrams too); a lone trailing byte is dropped.
public struct DatagramSplitter: Sequence, IteratorProtocol {
    /// The exporter addresses the top two bits of a prefix choose from: two IPv4, one IPv6, and "unknown".
    public static let exporters: [IPAddress] = [
        IPAddress(v4: 0x0A00_0001), IPAddress(v4: 0xC0A8_0101),
        IPAddress(high: 0x2001_0DB8_0000_0000, low: 1), .zero,
    ]

    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    /// Splits `bytes`, which must outlive the splitter.
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The next datagram and the address of the exporter that sent it, or `nil` at the end of the input.
    public mutating func next() -> (datagram: UnsafeRawBufferPointer, exporter: IPAddress)? {
        guard bytes.count - offset >= 2 else { return nil }
        let prefix = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
        let start = offset + 2
        let end = Swift.min(start + (prefix & 0x3FFF), bytes.count)
        offset = end
        return (UnsafeRawBufferPointer(rebasing: bytes[start..<end]), Self.exporters[prefix >> 14])
    }
}
