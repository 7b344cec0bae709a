public import FlowModel

/// Beats inside long-lived flows: C2 over QUIC or a held-open TLS session sends a burst of packets every
/// period without opening a new connection, so flow starts show nothing.
///
/// Per 5-tuple (both directions together, the sender of the first packet seen as initiator) it records the
/// start of each burst — a packet after at least ``quietGap`` without one. Memory is bounded: at most
/// ``maximumKeys`` 5-tuples and ``maximumBursts`` burst starts per 5-tuple are kept.
public struct BurstTracker: Sendable {
    /// One tracked 5-tuple.
    struct Track: Sendable {
        var canonical: SIMD8<UInt64>
        var key: BeaconKey
        var lastPacket: Int64
        var firstSeen: Int64
        var packets: UInt64 = 1
        var bytesOut: UInt64 = 0
        var bytesIn: UInt64 = 0
        var bursts: [Int64]
        var isStrobe = false
    }

    /// Silence that ends a burst, ns.
    public var quietGap: Int64
    /// 5-tuples tracked at most; packets of further ones are counted in ``untrackedPackets``.
    public var maximumKeys: Int
    /// Burst starts kept per 5-tuple.
    public var maximumBursts: Int
    /// Open-addressing table of track index + 1 (0 = empty), linear probing; power-of-two size.
    private var slots: [Int32] = [Int32](repeating: 0, count: 1024)
    private var tracks: [Track] = []
    /// Packets of 5-tuples beyond ``maximumKeys``.
    public private(set) var untrackedPackets: UInt64 = 0

    /// Creates a tracker.
    public init(quietGap: Double = 1, maximumKeys: Int = 200_000, maximumBursts: Int = 86_400) {
        self.quietGap = Int64(quietGap * 1e9)
        self.maximumKeys = maximumKeys
        self.maximumBursts = maximumBursts
    }

    /// The number of tracked 5-tuples.
    public var trackedKeys: Int { tracks.count }

    /// Records the packets of one batch (TCP and UDP only; fragments after the first are skipped).
    public mutating func observe(_ packets: PacketBatch) {
        let skip = PacketBatch.Flags.link.rawValue | PacketBatch.Flags.laterFragment.rawValue
        for i in 0..<packets.count {
            let proto = packets.proto[i]
            guard proto == TransportProtocol.tcp || proto == TransportProtocol.udp, packets.flags[i] & skip == 0 else {
                continue
            }
            let a = (packets.srcHigh[i], packets.srcLow[i], UInt64(packets.srcPort[i]))
            let b = (packets.dstHigh[i], packets.dstLow[i], UInt64(packets.dstPort[i]))
            let forward = (a.0, a.1, a.2) < (b.0, b.1, b.2)
            let lo = forward ? a : b, hi = forward ? b : a
            let canonical = SIMD8<UInt64>(lo.0, lo.1, lo.2, hi.0, hi.1, hi.2, UInt64(proto), 0)
            let t = packets.timestamp[i]
            let bytes = UInt64(packets.wireLength[i])
            let mask = slots.count - 1
            var position = BurstTracker.slot(of: canonical, mask: mask)
            var found = -1
            while slots[position] != 0 {
                let candidate = Int(slots[position]) - 1
                if tracks[candidate].canonical == canonical { found = candidate; break }
                position = (position + 1) & mask
            }
            if found >= 0 {
                let slot = found
                let outbound = tracks[slot].key.src == IPAddress(high: a.0, low: a.1) && tracks[slot].key.dport == b.2.low16
                if outbound { tracks[slot].bytesOut &+= bytes } else { tracks[slot].bytesIn &+= bytes }
                tracks[slot].packets &+= 1
                if t &- tracks[slot].lastPacket >= quietGap {
                    if tracks[slot].bursts.count < maximumBursts { tracks[slot].bursts.append(t) } else { tracks[slot].isStrobe = true }
                }
                tracks[slot].lastPacket = max(tracks[slot].lastPacket, t)
            } else if tracks.count < maximumKeys {
                let key = BeaconKey(src: IPAddress(high: a.0, low: a.1), dst: IPAddress(high: b.0, low: b.1),
                                    dport: packets.dstPort[i], proto: proto)
                tracks.append(Track(canonical: canonical, key: key, lastPacket: t, firstSeen: t, bytesOut: bytes, bursts: [t]))
                slots[position] = Int32(tracks.count)
                if tracks.count * 2 > slots.count { grow() }
            } else {
                untrackedPackets &+= 1
            }
        }
    }

    /// The home slot of a canonical 5-tuple.
    @inline(__always)
    static func slot(of c: SIMD8<UInt64>, mask: Int) -> Int {
        var hash = (c[1] &* 0x9E37_79B9_7F4A_7C15) ^ (c[4] &* 0xC2B2_AE3D_27D4_EB4F)
        hash ^= (c[0] ^ (c[3] &* 31)) &+ (c[2] << 24 | c[5] << 8 | c[6])
        hash = (hash ^ (hash >> 29)) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: hash ^ (hash >> 32)) & mask
    }

    /// Doubles the slot table and re-inserts every track.
    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (index, track) in tracks.enumerated() {
            var position = BurstTracker.slot(of: track.canonical, mask: mask)
            while slots[position] != 0 { position = (position + 1) & mask }
            slots[position] = Int32(index + 1)
        }
    }

    /// The periodic bursts of 5-tuples with enough of them, as `intra-flow` findings rated with `detector`'s
    /// context and prevalence.
    public func findings(detector: BeaconDetector, context: BeaconContext = BeaconContext()) -> [BeaconFinding] {
        let configuration = detector.configuration
        var periodicity = configuration.periodicity
        periodicity.deadTime = Double(quietGap) / 1e9
        // Bursts must be well separated: with periods near the quiet gap, continuous chatter splits into
        // "bursts" at a rhythm set by the gap itself.
        periodicity.minimumPeriod = max(periodicity.minimumPeriod, 5 * Double(quietGap) / 1e9)
        var prevalence: PrevalenceTable? = nil
        var found: [BeaconFinding] = []
        for track in tracks where track.bursts.count >= configuration.minimumConnections {
            let times = track.bursts.sorted().map { Double($0) / 1e9 }
            let result = Periodicity.test(times: times, configuration: periodicity)
            guard result.isPeriodic else { continue }
            if prevalence == nil { prevalence = detector.prevalenceTable() }
            let totals = BeaconTotals(connections: track.packets, firstSeen: track.firstSeen, lastSeen: track.lastPacket,
                                      bytesOut: track.bytesOut, bytesIn: track.bytesIn, isStrobe: track.isStrobe)
            found.append(detector.finding(key: track.key, kind: .intraFlow, beats: times.count, totals: totals,
                                          periodicity: result, rita: nil,
                                          prevalence: prevalence?.share(of: track.key.dst) ?? 0, context: context))
        }
        return BeaconDetector.sortedFindings(found)
    }
}

extension UInt64 {
    /// The low 16 bits.
    var low16: UInt16 { UInt16(truncatingIfNeeded: self) }
}
