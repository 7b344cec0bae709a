public import FlowModel

/// Reads NetFlow/IPFIX export traffic out of a capture (pcap, pcapng, compressed or not): the UDP payloads
/// sent to the export port become datagrams for a ``FlowExportDecoder``, the UDP source address names the
/// exporter.
///
/// The walk uses the packet path's link and IP decoding (Ethernet, VLAN, SLL, raw IP, IPv4/IPv6) but is a
/// separate reader, so the normal packet path pays nothing for it. With no port given, a destination port
/// becomes an export port the first time a payload sent to it is a whole, self-consistent v5/v9/IPFIX
/// message (see ``ExportPlausibility``); other UDP traffic in the capture is ignored. IP fragments are
/// skipped and counted as malformed datagrams.
public final class ExportCaptureReader {
    private let reader: any CaptureReader
    private let packetDecoder: PacketDecoder
    private let port: UInt16?
    private var learnedPorts: Set<UInt16> = []
    /// The decoder holding the exporters' templates.
    public let decoder: FlowExportDecoder
    /// UDP datagrams to the export port(s) read.
    public private(set) var datagrams: UInt64 = 0
    /// Capture records read.
    public private(set) var captureRecords: UInt64 = 0
    /// Time of the first export datagram captured, ns.
    public private(set) var firstTimestamp: Int64?

    /// Opens a capture of export traffic.
    ///
    /// - Parameters:
    ///   - path: The capture file.
    ///   - port: The collector's UDP port; `nil` to detect it from the payloads.
    ///   - limits: Template cache bounds.
    public init(path: String, port: UInt16?, limits: FlowExportLimits = FlowExportLimits()) throws(ParseError) {
        reader = try CaptureFile.open(path: path)
        packetDecoder = PacketDecoder(linkType: reader.linkType)
        self.port = port
        decoder = FlowExportDecoder(limits: limits)
    }

    /// The container format of the capture (`pcap`, `pcapng`).
    public var captureFormat: String { reader.formatName }

    /// Non-fatal problems of the capture itself (a truncated last record).
    public var warnings: [ParseError] { reader.warnings }

    /// Decodes the next run of capture records (about `targetBytes`), appending their flows to `batch`.
    ///
    /// - Returns: `false` at the end of the capture.
    public func next(into batch: inout FlowBatch, targetBytes: Int = 4 << 20) throws(ParseError) -> Bool {
        guard let chunk = try reader.nextChunk(targetBytes: targetBytes) else {
            decoder.finish()
            return false
        }
        let bytes = chunk.bytes
        let header = chunk.header
        var offset = 0
        while offset + PcapFileHeader.recordHeaderSize <= bytes.count {
            let (seconds, fraction, captured, _) = header.recordHeader(bytes, at: offset)
            let start = offset + PcapFileHeader.recordHeaderSize
            let length = min(Int(captured), bytes.count - start)
            offset = start + length
            captureRecords += 1
            let frame = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
            var row = PacketDecoder.DecodedRow()
            guard packetDecoder.decodeFrame(PacketDecoder.FrameView(frame), into: &row) == .ipPacket,
                  row.proto == TransportProtocol.udp else { continue }
            let isExportPort = port.map { $0 == row.dstPort } ?? learnedPorts.contains(row.dstPort)
            if row.flags.contains(.fragment) {
                if isExportPort { decoder.noteMalformedDatagram() }
                continue
            }
            guard row.payloadStart < row.payloadEnd else { continue }
            let payload = UnsafeRawBufferPointer(rebasing: frame[row.payloadStart..<row.payloadEnd])
            if !isExportPort {
                guard port == nil, ExportPlausibility.isExportMessage(payload) else { continue }
                learnedPorts.insert(row.dstPort)
            }
            datagrams += 1
            if firstTimestamp == nil { firstTimestamp = header.timestamp(seconds: seconds, fraction: fraction) }
            decoder.decode(payload, exporter: row.src, into: &batch)
        }
        return true
    }

    /// The UDP ports export traffic was read from.
    public var exportPorts: [UInt16] { port.map { [$0] } ?? learnedPorts.sorted() }
}

extension ExportCaptureReader {
    /// Whether the first megabyte of the capture at `path` is export traffic: at least one UDP datagram is a
    /// whole NetFlow/IPFIX message and at least 90 % of the IP packets are (a hospital capture that also
    /// carries some router exports stays a packet capture).
    public static func isExportCapture(path: String) throws(ParseError) -> Bool {
        let reader = try CaptureFile.open(path: path)
        guard let chunk = try reader.nextChunk(targetBytes: 1 << 20) else { return false }
        let decoder = PacketDecoder(linkType: reader.linkType)
        let bytes = chunk.bytes
        var offset = 0, packets = 0, exports = 0
        while offset + PcapFileHeader.recordHeaderSize <= bytes.count {
            let (_, _, captured, _) = chunk.header.recordHeader(bytes, at: offset)
            let start = offset + PcapFileHeader.recordHeaderSize
            let length = min(Int(captured), bytes.count - start)
            offset = start + length
            let frame = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
            var row = PacketDecoder.DecodedRow()
            guard decoder.decodeFrame(PacketDecoder.FrameView(frame), into: &row) == .ipPacket else { continue }
            packets += 1
            if row.proto == TransportProtocol.udp, row.payloadStart < row.payloadEnd, ExportPlausibility.isExportMessage(UnsafeRawBufferPointer(rebasing: frame[row.payloadStart..<row.payloadEnd])) {
                exports += 1
            }
        }
        return exports > 0 && exports * 10 >= packets * 9
    }
}
