/// What the user says the inputs are (`--input-format`); `auto` looks at each file's content.
public enum InputFormat: String, CaseIterable, Sendable {
    /// Decide per file from its first bytes.
    case auto
    /// Packet captures (pcap, pcapng; zstd/lz4 compressed or not).
    case pcap
    /// nfdump 1.7 files (`nfcapd.*`).
    case nfdump
    /// Files of raw NetFlow v5/v9/IPFIX datagrams (see ``DatagramFileReader``).
    case netflow
    /// Captures of NetFlow/IPFIX export traffic (UDP to a collector).
    case netflowPcap = "netflow-pcap"
}

/// The kind of one input file, which picks its reader.
public enum InputKind: Sendable, Hashable {
    /// A packet capture: packets become flows in the flow table.
    case capture
    /// An nfdump file: V3 records are flows.
    case nfdump
    /// A file of raw export datagrams.
    case datagrams
    /// A capture of export traffic: its UDP payloads are datagrams.
    case exportCapture

    /// Whether the input already holds flows (they bypass the flow table).
    public var holdsFlows: Bool { self != .capture }

    /// The kind of `path`, from `format` or, for ``InputFormat/auto``, from its content: the nfdump magic,
    /// a datagram-file layout, else a capture — which counts as export traffic when at least 90 % of the IP
    /// packets in its first megabyte are whole NetFlow/IPFIX messages (a normal capture that happens
    /// to contain some export traffic stays a packet capture; `--input-format netflow-pcap` forces it).
    ///
    /// - Throws: `ParseError` when the file cannot be read.
    public static func detect(path: String, format: InputFormat) throws(ParseError) -> InputKind {
        switch format {
        case .pcap: return .capture
        case .nfdump: return .nfdump
        case .netflow: return .datagrams
        case .netflowPcap: return .exportCapture
        case .auto: break
        }
        let (base, size) = try mapFile(path)
        defer { if let base { unmapFile(base, size) } }
        let head = UnsafeRawBufferPointer(start: base, count: min(size, 64))
        if NfdumpFileHeader.matches(head) { return .nfdump }
        if DatagramFileReader.detect(head) != nil { return .datagrams }
        return try ExportCaptureReader.isExportCapture(path: path) ? .exportCapture : .capture
    }
}
