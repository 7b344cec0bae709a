import CPrefetch
public import FlowModel

/// Beats inside long-lived flows: C2 over QUIC or a held-open TLS session sends a burst of packets every
/// period without opening a new connection, so flow starts show nothing.
///
/// Per 5-tuple (both directions together, the sender of the first packet seen as initiator) it records the
/// start of each burst — a packet after at least ``quietGap`` without one. Memory is bounded: at most
/// ``maximumKeys`` 5-tuples and ``maximumBursts`` burst starts per 5-tuple are kept.
public struct BurstTracker: Sendable {
    /// A 5-tuple with its lower endpoint (address, then port) first.
    struct Canonical: Equatable, Sendable {
        var aHigh: UInt64, aLow: UInt64, bHigh: UInt64, bLow: UInt64
        /// `aPort << 16 | bPort`.
        var ports: UInt32
        var proto: UInt8

        /// A 64-bit hash; its high 32 bits also tag the key's slot.
        @inline(__always)
        var hash: UInt64 {
            var h = (aLow &* 0x9E37_79B9_7F4A_7C15) ^ (bLow &* 0xC2B2_AE3D_27D4_EB4F)
            h ^= (aHigh ^ (bHigh &* 31)) &+ (UInt64(ports) << 8 | UInt64(proto))
            h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
            return h ^ (h >> 32)
        }
    }

    /// One tracked 5-tuple.
    struct Track: Sendable {
        var canonical: Canonical
        var key: BeaconKey
        var lastPacket: Int64
        /// The first packet: the first burst's start.
        var firstSeen: Int64
        var packets: UInt64 = 1
        var bytesOut: UInt64 = 0
        var bytesIn: UInt64 = 0
        /// Burst starts after the first (kept apart so a 5-tuple with one burst allocates nothing).
        var laterBursts: [Int64] = []
        var isStrobe = false

        /// Every burst start, in arrival order.
        var bursts: [Int64] { [firstSeen] + laterBursts }
    }

    /// A packet of the current batch to look up.
    private struct Pending {
        var index: Int32
        var forward: Bool
        var canonical: Canonical
        var hash: UInt64
    }

    /// Silence that ends a burst, ns.
    public var quietGap: Int64
    /// 5-tuples tracked at most; packets of further ones are counted in ``untrackedPackets``.
    public var maximumKeys: Int
    /// Burst starts kept per 5-tuple.
    public var maximumBursts: Int
    /// Open-addressing table, linear probing, power-of-two size: 0 for empty, else the key hash's high 32
    /// bits over the track index + 1, so a probe rejects other keys without reading their track.
    private var slots: [UInt64] = [UInt64](repeating: 0, count: 1024)
    private var tracks: [Track] = []
    /// Per-batch scratch.
    private var pending: [Pending] = []
    /// Packets of 5-tuples beyond ``maximumKeys``.
    public private(set) var untrackedPackets: UInt64 = 0

    /// How many packets ahead a lookup's slot is prefetched.
    private static let prefetchDistance = 8

    /// Creates a tracker.
    public init(quietGap: Double = 1, maximumKeys: Int = 200_000, maximumBursts: Int = 86_400) {
        self.quietGap = Int64(quietGap * 1e9)
        self.maximumKeys = maximumKeys
        self.maximumBursts = maximumBursts
    }

    /// The number of tracked 5-tuples.
    public var trackedKeys: Int { tracks.count }

    /// Records the packets of one batch (TCP and UDP only; fragments after the first are skipped).
    ///
    /// Two passes: the first builds each packet's canonical key and hash, the second looks them up with the
    /// slot of the packet a few places ahead already on its way into the cache.
    public mutating func observe(_ packets: PacketBatch) {
        let skip = PacketBatch.Flags.link.rawValue | PacketBatch.Flags.laterFragment.rawValue
        pending.removeAll(keepingCapacity: true)
        for i in 0..<packets.count {
            let proto = packets.proto[i]
            guard proto == TransportProtocol.tcp || proto == TransportProtocol.udp, packets.flags[i] & skip == 0 else {
                continue
            }
            let a = (packets.srcHigh[i], packets.srcLow[i], packets.srcPort[i])
            let b = (packets.dstHigh[i], packets.dstLow[i], packets.dstPort[i])
            let forward = (a.0, a.1, a.2) < (b.0, b.1, b.2)
            let lo = forward ? a : b, hi = forward ? b : a
            let canonical = Canonical(aHigh: lo.0, aLow: lo.1, bHigh: hi.0, bLow: hi.1,
                                      ports: UInt32(lo.2) << 16 | UInt32(hi.2), proto: proto)
            pending.append(Pending(index: Int32(truncatingIfNeeded: i), forward: forward, canonical: canonical,
                                   hash: canonical.hash))
        }
        var k = 0
        while k < pending.count {
            let count = pending.count
            // Look up until the table must grow (then the slots move and the loop resumes on the new ones).
            let grew = lookUp(from: &k, count: count, packets: packets)
            if grew { grow() }
        }
    }

    /// Looks up `pending[k...]` in order; returns true (with `k` past the last packet handled) when the
    /// table needs to grow first.
    private mutating func lookUp(from k: inout Int, count: Int, packets: PacketBatch) -> Bool {
        let quietGap = self.quietGap, maximumBursts = self.maximumBursts, maximumKeys = self.maximumKeys
        var needsGrowth = false
        var untracked: UInt64 = 0
        pending.withUnsafeBufferPointer { pending in
            slots.withUnsafeMutableBufferPointer { slots in
                let mask = slots.count - 1
                while k < count {
                    if k &+ Self.prefetchDistance < count {
                        medflow_prefetch(slots.baseAddress! + (Int(truncatingIfNeeded: pending[k &+ Self.prefetchDistance].hash) & mask))
                    }
                    let p = pending[k]
                    k &+= 1
                    let i = Int(p.index)
                    let t = packets.timestamp[i]
                    let bytes = UInt64(packets.wireLength[i])
                    let tag = p.hash & 0xFFFF_FFFF_0000_0000
                    var position = Int(truncatingIfNeeded: p.hash) & mask
                    var found = -1
                    while slots[position] != 0 {
                        let entry = slots[position]
                        if entry & 0xFFFF_FFFF_0000_0000 == tag {
                            let candidate = Int(entry & 0xFFFF_FFFF) - 1
                            if tracks[candidate].canonical == p.canonical { found = candidate; break }
                        }
                        position = (position &+ 1) & mask
                    }
                    if found >= 0 {
                        tracks.withUnsafeMutableBufferPointer { tracks in
                            let track = tracks.baseAddress! + found
                            let dport = p.forward ? UInt16(truncatingIfNeeded: p.canonical.ports) : UInt16(p.canonical.ports >> 16)
                            let src = p.forward ? IPAddress(high: p.canonical.aHigh, low: p.canonical.aLow)
                                : IPAddress(high: p.canonical.bHigh, low: p.canonical.bLow)
                            let outbound = track.pointee.key.src == src && track.pointee.key.dport == dport
                            if outbound { track.pointee.bytesOut &+= bytes } else { track.pointee.bytesIn &+= bytes }
                            track.pointee.packets &+= 1
                            if t &- track.pointee.lastPacket >= quietGap {
                                if track.pointee.laterBursts.count &+ 1 < maximumBursts {
                                    track.pointee.laterBursts.append(t)
                                } else {
                                    track.pointee.isStrobe = true
                                }
                            }
                            track.pointee.lastPacket = max(track.pointee.lastPacket, t)
                        }
                    } else if tracks.count < maximumKeys {
                        let c = p.canonical
                        let (src, dst) = p.forward
                            ? (IPAddress(high: c.aHigh, low: c.aLow), IPAddress(high: c.bHigh, low: c.bLow))
                            : (IPAddress(high: c.bHigh, low: c.bLow), IPAddress(high: c.aHigh, low: c.aLow))
                        let key = BeaconKey(src: src, dst: dst, dport: packets.dstPort[i], proto: c.proto)
                        tracks.append(Track(canonical: c, key: key, lastPacket: t, firstSeen: t, bytesOut: bytes))
                        slots[position] = tag | UInt64(tracks.count)
                        if tracks.count * 2 > slots.count { needsGrowth = true; return }
                    } else {
                        untracked &+= 1
                    }
                }
            }
        }
        untrackedPackets &+= untracked
        return needsGrowth
    }

    /// Doubles the slot table and re-inserts every track.
    private mutating func grow() {
        slots = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for (index, track) in tracks.enumerated() {
            let hash = track.canonical.hash
            var position = Int(truncatingIfNeeded: hash) & mask
            while slots[position] != 0 { position = (position + 1) & mask }
            slots[position] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(index + 1)
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
        var periodic: [(track: Track, times: [Double], result: Periodicity.Result)] = []
        for track in tracks where track.laterBursts.count + 1 >= configuration.minimumConnections {
            let times = track.bursts.sorted().map { Double($0) / 1e9 }
            let result = Periodicity.test(times: times, configuration: periodicity)
            if result.isPeriodic { periodic.append((track, times, result)) }
        }
        guard !periodic.isEmpty else { return [] }
        let prevalence = detector.prevalenceTable(for: Set(periodic.map(\.track.key.dst)))
        var found: [BeaconFinding] = []
        for (track, times, result) in periodic {
            let totals = BeaconTotals(connections: track.packets, firstSeen: track.firstSeen, lastSeen: track.lastPacket,
                                      bytesOut: track.bytesOut, bytesIn: track.bytesIn, isStrobe: track.isStrobe)
            found.append(detector.finding(key: track.key, kind: .intraFlow, beats: times.count, totals: totals,
                                          periodicity: result, rita: nil,
                                          prevalence: prevalence.share(of: track.key.dst), context: context))
        }
        return BeaconDetector.sortedFindings(found)
    }
}

extension UInt64 {
    /// The low 16 bits.
    var low16: UInt16 { UInt16(truncatingIfNeeded: self) }
}
