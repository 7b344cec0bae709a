internal import CPcap

/// A BPF filter expression (tcpdump syntax) compiled by libpcap for one link type.
///
/// Matching runs the compiled program with `pcap_offline_filter`, which only reads the program, so one
/// filter is shared by every decoding worker.
public final class PacketFilter: @unchecked Sendable {
    // @unchecked: `program` is written once in init and only read afterwards (bpf_filter is reentrant).
    // It lives behind a pointer held in a `let`: `&program` on a stored `var` was a modifying access on
    // every match, which ThreadSanitizer reports as an access race between decoding workers.
    private let program: UnsafeMutablePointer<bpf_program>
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
        let program = UnsafeMutablePointer<bpf_program>.allocate(capacity: 1)
        program.initialize(to: bpf_program())
        guard pcap_compile(dead, program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            let message = String(cString: pcap_geterr(dead))
            program.deallocate()
            throw FilterError(expression: expression, message: message)
        }
        self.program = program
    }

    deinit {
        pcap_freecode(program)
        program.deallocate()
    }

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
        return pcap_offline_filter(program, &header, base) != 0
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
