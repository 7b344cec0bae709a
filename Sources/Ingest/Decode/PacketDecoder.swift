public import FlowModel

/// Turns captured frames into ``PacketBatch`` rows: link layer, then IPv4/IPv6, then the transport
/// ports.
///
/// One decoder serves one capture (one link type). Each call to
/// ``decode(frame:wireLength:timestamp:into:counters:)`` appends zero or one row and updates
/// ``DecodeCounters``. The decoder holds no mutable state, so one value can be shared by threads.
///
/// What ends up in a row:
/// - **IP packets**: the IP addresses (IPv4 in IPv4-mapped form), the protocol number of the last
///   header (after IPv6 extension headers), the TCP/UDP/SCTP/UDP-Lite/DCCP ports, the TCP flags
///   byte, and for ICMP/ICMPv6 `type << 8 | code` in both ports with replies mapped to their request
///   type (echo reply → echo request, …) so that both directions of an exchange share a key.
///   Fragments carry ``PacketBatch/Flags/fragment`` and the IP identification; fragments after the
///   first also ``PacketBatch/Flags/laterFragment`` and ports 0.
/// - **Non-IP frames** (ARP, EAPOL, LLDP, 802.3 LLC, …): a ``PacketBatch/Flags/link`` row with the
///   MAC addresses in `low` and the EtherType in both ports (0 for LLC and unknown address
///   families).
///
/// Reading rules: the decoder checks once per header that the header's bytes were captured, then
/// loads its fields unaligned. Only headers have to be present; a frame cut by the snap length after
/// its transport ports decodes normally and keeps its original wire length. Transport headers are
/// read from the captured bytes up to the IP datagram's end (IPv4 total length, IPv6 payload
/// length), so Ethernet padding is never read as a header.
public struct PacketDecoder: Sendable {
    /// The link layers the decoder tells apart.
    enum Link: Sendable {
        /// Ethernet II / 802.3, with VLAN, MPLS and PPPoE inside.
        case ethernet
        /// Linux cooked capture v1.
        case linuxSLL
        /// Linux cooked capture v2.
        case linuxSLL2
        /// Raw IP, version from the first nibble.
        case raw
        /// Raw IPv4 only.
        case ipv4
        /// Raw IPv6 only.
        case ipv6
        /// BSD loopback, address family in either byte order.
        case null
        /// OpenBSD loopback, address family in network byte order.
        case loop
        /// Not a link type the decoder reads: every frame counts as malformed.
        case unsupported
    }

    /// The capture's link type, as given to ``init(linkType:)``.
    public let linkType: LinkType
    /// The link layer selected from ``linkType``.
    let link: Link

    /// Most VLAN tags (802.1Q, 802.1ad, 0x9100, 0x9200) read before a frame counts as malformed.
    static let maxVLANTags = 8
    /// Most MPLS label entries read before a frame counts as malformed.
    static let maxMPLSLabels = 16
    /// Most IPv6 extension headers walked before a packet counts as malformed.
    static let maxExtensionHeaders = 16

    /// Creates a decoder for frames of one link type.
    ///
    /// - Parameter linkType: The capture's link type; one of ``LinkType/supported``, which the caller
    ///   checks. Frames of any other link type are all counted as ``DecodeCounters/malformed``.
    public init(linkType: LinkType) {
        self.linkType = linkType
        switch linkType {
        case .ethernet: link = .ethernet
        case .linuxSLL: link = .linuxSLL
        case .linuxSLL2: link = .linuxSLL2
        case .raw, .rawDLT12, .rawDLT14: link = .raw
        case .ipv4: link = .ipv4
        case .ipv6: link = .ipv6
        case .null: link = .null
        case .loop: link = .loop
        default: link = .unsupported
        }
    }

    /// Decodes one frame, appending zero or one row to `batch` and updating `counters`.
    ///
    /// The frame is appended as an IP packet or a link row, or skipped as too short or malformed;
    /// see ``DecodeCounters`` for which counter each case bumps. The call never traps on any input.
    ///
    /// - Parameters:
    ///   - frame: The captured bytes of the frame, starting at the link-layer header. They may be
    ///     fewer than `wireLength` (snap length); only the headers need to be present.
    ///   - wireLength: The frame's length on the wire (the record's original length); stored
    ///     unchanged in the row.
    ///   - timestamp: Capture time in nanoseconds since the epoch; stored unchanged in the row.
    ///   - batch: The batch to append to.
    ///   - counters: The counters to update.
    public func decode(
        frame: UnsafeRawBufferPointer, wireLength: UInt32, timestamp: Int64,
        into batch: inout PacketBatch, counters: inout DecodeCounters
    ) {
        guard let row = decodeRow(frame: frame, wireLength: wireLength, counters: &counters) else { return }
        row.append(timestamp: timestamp, wireLength: wireLength, to: &batch)
    }

    /// Decodes one frame like ``decode(frame:wireLength:timestamp:into:counters:)`` and, when it is a
    /// DNS response (UDP or TCP from port 53), also appends its A/AAAA answers to `dns`.
    ///
    /// A DNS message that cannot be read is counted in ``DecodeCounters/dnsMalformed``; the packet row
    /// is appended either way. Over TCP only a message whole in one segment is read.
    ///
    /// - Parameters:
    ///   - frame: The captured bytes of the frame.
    ///   - wireLength: The frame's length on the wire.
    ///   - timestamp: Capture time in nanoseconds since the epoch.
    ///   - batch: The batch to append to.
    ///   - counters: The counters to update.
    ///   - dns: Receives one ``DNSAnswer`` per address answer, the client being the packet's destination.
    public func decode(
        frame: UnsafeRawBufferPointer, wireLength: UInt32, timestamp: Int64,
        into batch: inout PacketBatch, counters: inout DecodeCounters, dns: inout [DNSAnswer]
    ) {
        guard let row = decodeRow(frame: frame, wireLength: wireLength, counters: &counters) else { return }
        row.append(timestamp: timestamp, wireLength: wireLength, to: &batch)
        readDNS(row, frame: frame, timestamp: timestamp, counters: &counters, dns: &dns)
    }

    /// Appends the A/AAAA answers of `row` to `dns` when it is a DNS response.
    @inline(__always)
    func readDNS(_ row: DecodedRow, frame: UnsafeRawBufferPointer, timestamp: Int64,
                         counters: inout DecodeCounters, dns: inout [DNSAnswer]) {
        guard row.srcPort == 53, row.payloadEnd > row.payloadStart, !row.flags.contains(.laterFragment) else { return }
        var start = row.payloadStart
        var end = row.payloadEnd
        if row.proto == TransportProtocol.tcp {
            guard end &- start >= 2 else { return }
            let length = Int(FrameView(frame).be16(start))
            guard length > 0, length <= end &- start &- 2 else { return }
            start &+= 2
            end = start &+ length
        } else if row.proto != TransportProtocol.udp {
            return
        }
        counters.dnsResponses &+= 1
        do {
            let records = try DNSMessage.addressAnswers(UnsafeRawBufferPointer(rebasing: frame[start..<end]))
            for record in records {
                dns.append(DNSAnswer(time: timestamp, client: row.dst, name: record.name, address: record.address,
                                     ttl: record.ttl))
            }
        } catch {
            counters.dnsMalformed &+= 1
        }
    }

    /// Decodes one frame and returns its row, or counts it as skipped and returns `nil`. The capture
    /// decoding loop (``RecordChunk``) stores the row in its stage itself.
    @inline(__always)
    func decodeRow(
        frame: UnsafeRawBufferPointer, wireLength: UInt32, counters: inout DecodeCounters
    ) -> DecodedRow? {
        counters.frames &+= 1
        counters.wireBytes &+= UInt64(wireLength)
        var row = DecodedRow()
        switch decodeFrame(FrameView(frame), into: &row) {
        case .ipPacket:
            counters.ipPackets &+= 1
        case .linkFrame:
            counters.linkFrames &+= 1
        case .tooShort:
            counters.tooShort &+= 1
            counters.skippedBytes &+= UInt64(wireLength)
            return nil
        case .malformed:
            counters.malformed &+= 1
            counters.skippedBytes &+= UInt64(wireLength)
            return nil
        }
        return row
    }

    /// Decodes `frame` by its link type into `row`.
    ///
    /// - Parameters:
    ///   - frame: The captured bytes.
    ///   - row: The row to fill in.
    /// - Returns: How decoding ended.
    @inline(__always)
    func decodeFrame(_ frame: FrameView, into row: inout DecodedRow) -> Outcome {
        switch link {
        case .ethernet: decodeEthernet(frame, into: &row)
        case .linuxSLL: decodeLinuxSLL(frame, into: &row)
        case .linuxSLL2: decodeLinuxSLL2(frame, into: &row)
        case .raw: decodeRawIP(frame, into: &row)
        case .ipv4: decodeIPv4(frame, at: 0, into: &row)
        case .ipv6: decodeIPv6(frame, at: 0, into: &row)
        case .null: decodeLoopback(frame, networkOrder: false, into: &row)
        case .loop: decodeLoopback(frame, networkOrder: true, into: &row)
        case .unsupported: .malformed
        }
    }
}
