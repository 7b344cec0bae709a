internal import CPcap

/// A BPF filter expression (tcpdump syntax) compiled by libpcap for one link type.
///
/// Matching runs the compiled program with `pcap_offline_filter`, which only reads the program, so one
/// filter is shared by every decoding worker.
public final class PacketFilter: @unchecked Sendable {
    // @unchecked: `program` is written once in init and only read afterwards (bpf_filter is reentrant).
    private var program = bpf_program()
    /// The expression as given.
    public let expression: String

    /// Compiles `expression` for frames of `linkType`.
    ///
    /// - Throws: `FilterError` with libpcap's message when the expression does not compile.
    public init(expression: String, linkType: LinkType) throws(FilterError) {
        self.expression = expression
        guard let dead = pcap_open_dead(Int32(linkType.rawValue), 262_144) else {
            throw FilterError(expression: expression, message: "libpcap could not open a handle for link type \(linkType)")
        }
        defer { pcap_close(dead) }
        guard pcap_compile(dead, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw FilterError(expression: expression, message: String(cString: pcap_geterr(dead)))
        }
    }

    deinit { pcap_freecode(&program) }

    /// Whether the frame passes the filter.
    ///
    /// - Parameters:
    ///   - frame: The captured bytes.
    ///   - wireLength: The frame's length on the wire.
    public func matches(frame: UnsafeRawBufferPointer, wireLength: UInt32) -> Bool {
        var header = pcap_pkthdr()
        header.caplen = UInt32(frame.count)
        header.len = wireLength
        let base = frame.baseAddress?.assumingMemoryBound(to: UInt8.self)
        return withUnsafePointer(to: &program) { pcap_offline_filter($0, &header, base) != 0 }
    }
}

/// A filter expression libpcap rejected.
public struct FilterError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The expression as given.
    public var expression: String
    /// libpcap's explanation.
    public var message: String

    /// `invalid filter 'EXPR': message`.
    public var description: String { "invalid filter '\(expression)': \(message)" }
}
