public import FlowModel
internal import CPrefetch

/// Beats inside long-lived flows: C2 over QUIC or a held-open TLS session sends a burst of packets every
/// period without opening a new connection, so flow starts show nothing.
///
/// Per 5-tuple (both directions together, oriented as the flow table oriented its first flow) it records
/// the start of each burst — a packet after at least ``quietGap`` without one. The flow table finds the
/// starts as it updates flows (``BurstStart``), so this sees a few events per flow, not every packet;
/// the 5-tuple's packet and byte counts come from its flows as they end. Memory is bounded: at most
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

    /// One tracked 5-tuple (96 bytes: the flags sit in the canonical tuple's padding).
    struct Track: Sendable {
        var canonical: Canonical
        /// Whether endpoint b initiated: the key runs from b to a.
        var initiatorIsB: Bool
        var isStrobe = false
        /// The latest burst start or flow end seen.
        var lastPacket: Int64
        /// The first packet: the first burst's start.
        var firstSeen: Int64
        var packets: UInt64 = 0
        var bytesOut: UInt64 = 0
        var bytesIn: UInt64 = 0
        /// Burst starts after the first (kept apart so a 5-tuple with one burst allocates nothing).
        var laterBursts: [Int64] = []
        /// The latest flow start counted as a burst start (``BurstStart/flowStart``).
        var lastFlowStart: Int64

        /// Adds a burst start after the first, or marks the track a strobe once it holds `maximumBursts`.
        @inline(__always)
        mutating func add(_ t: Int64, maximumBursts: Int) {
            if laterBursts.count &+ 1 < maximumBursts {
                laterBursts.append(t)
            } else {
                isStrobe = true
            }
            lastPacket = max(lastPacket, t)
        }

        /// Initiator, responder, responder port and protocol.
        var key: BeaconKey {
            let a = IPAddress(high: canonical.aHigh, low: canonical.aLow)
            let b = IPAddress(high: canonical.bHigh, low: canonical.bLow)
            let aPort = UInt16(truncatingIfNeeded: canonical.ports >> 16)
            let bPort = UInt16(truncatingIfNeeded: canonical.ports)
            return initiatorIsB
                ? BeaconKey(src: b, dst: a, dport: aPort, proto: canonical.proto)
                : BeaconKey(src: a, dst: b, dport: bPort, proto: canonical.proto)
        }

        /// Whether a flow from `src` to port `dstPort` runs in the key's direction.
        @inline(__always)
        func isOutbound(src: IPAddress, dstPort: UInt16) -> Bool {
            initiatorIsB
                ? src.high == canonical.bHigh && src.low == canonical.bLow
                    && dstPort == UInt16(truncatingIfNeeded: canonical.ports >> 16)
                : src.high == canonical.aHigh && src.low == canonical.aLow
                    && dstPort == UInt16(truncatingIfNeeded: canonical.ports)
        }

        /// Every burst start, in arrival order.
        var bursts: [Int64] { [firstSeen] + laterBursts }
    }

    /// Silence that ends a burst, ns: the flow table's ``FlowConfiguration``-`burstGap` must be this.
    public var quietGap: Int64
    /// 5-tuples tracked at most; burst starts of further ones are counted in ``untrackedBursts``.
    public var maximumKeys: Int
    /// Burst starts kept per 5-tuple.
    public var maximumBursts: Int
    /// Open-addressing table, linear probing, power-of-two size: 0 for empty, else the key hash's high 32
    /// bits over the track index + 1, so a probe rejects other keys without reading their track.
    private var slots: [UInt64] = [UInt64](repeating: 0, count: 1024)
    /// In segments: grown as a doubling array, 200 k tracks moved and touched fresh memory twice.
    private var tracks = SegmentedStore<Track>()
    /// Burst starts of 5-tuples beyond ``maximumKeys``.
    public private(set) var untrackedBursts: UInt64 = 0

    /// Creates a tracker.
    public init(quietGap: Double = 1, maximumKeys: Int = 200_000, maximumBursts: Int = 86_400) {
        self.quietGap = Int64(quietGap * 1e9)
        self.maximumKeys = maximumKeys
        self.maximumBursts = maximumBursts
    }

    /// The number of tracked 5-tuples.
    public var trackedKeys: Int { tracks.count }

    /// Records burst starts, as the flow table noted them (a 5-tuple's in time order).
    ///
    /// A 5-tuple's first start creates its track, oriented as the flow table oriented its flow. A start
    /// whose flow began earlier, at a time the track has not counted (``BurstStart/flowStart``: a
    /// SYN-opened connection is noted from its first quiet gap on), counts that flow start first.
    public mutating func record(_ starts: [BurstStart]) {
        for start in starts {
            let canonical = Canonical(a: start.a, aPort: start.aPort, b: start.b, bPort: start.bPort, proto: start.proto)
            let hash = canonical.hash
            let (found, position) = locate(canonical, hash: hash)
            let t = start.timestamp, flowStart = start.flowStart
            let knowsFlowStart = flowStart != BurstStart.unknownFlowStart
            if found >= 0 {
                let maximumBursts = self.maximumBursts
                tracks.update(found) { track in
                    if knowsFlowStart && flowStart != track.lastFlowStart {
                        if flowStart != t { track.add(flowStart, maximumBursts: maximumBursts) }
                        track.lastFlowStart = flowStart
                    }
                    track.add(t, maximumBursts: maximumBursts)
                }
            } else if tracks.count < maximumKeys {
                var track = Track(canonical: canonical, initiatorIsB: start.initiatorIsB, lastPacket: t,
                                  firstSeen: knowsFlowStart ? min(flowStart, t) : t, lastFlowStart: flowStart)
                if track.firstSeen != t { track.add(t, maximumBursts: maximumBursts) }
                tracks.append(track)
                slots[position] = Self.slotWord(hash: hash, track: tracks.count &- 1)
                if tracks.count * 2 > slots.count { grow() }
            } else {
                untrackedBursts &+= 1
            }
        }
    }

    /// Adds the packet and byte counts of the tracked 5-tuples' flows (TCP and UDP), in the direction of
    /// each track's key.
    public mutating func addTotals(of flows: FlowBatch) {
        guard !tracks.isEmpty else { return }
        // A block at a time, first the keys and hashes of its TCP/UDP flows, then the lookups, each loading
        // the slot of the flow `prefetchDistance` ahead: with 200 k tracks the slots and tracks outgrow the
        // caches. Blocks keep the scratch small: arrays for a whole 429 k-flow flush were 22 MB of fresh
        // pages on the run's tail.
        var rows: [Int32] = [], keys: [Canonical] = [], hashes: [UInt64] = []
        let block = min(flows.count, Self.totalsBlock)
        rows.reserveCapacity(block); keys.reserveCapacity(block); hashes.reserveCapacity(block)
        var blockStart = 0
        while blockStart < flows.count {
            let blockEnd = min(blockStart + Self.totalsBlock, flows.count)
            rows.removeAll(keepingCapacity: true); keys.removeAll(keepingCapacity: true)
            hashes.removeAll(keepingCapacity: true)
            for i in blockStart..<blockEnd {
                let proto = flows.proto[i]
                guard proto == TransportProtocol.tcp || proto == TransportProtocol.udp,
                      flows.flags[i] & FlowRecord.Flags.link.rawValue == 0 else { continue }
                let src = IPAddress(high: flows.srcHigh[i], low: flows.srcLow[i])
                let dst = IPAddress(high: flows.dstHigh[i], low: flows.dstLow[i])
                let srcPort = flows.srcPort[i], dstPort = flows.dstPort[i]
                let canonical = IPAddress.endpointPrecedes(src, srcPort, dst, dstPort)
                    ? Canonical(a: src, aPort: srcPort, b: dst, bPort: dstPort, proto: proto)
                    : Canonical(a: dst, aPort: dstPort, b: src, bPort: srcPort, proto: proto)
                rows.append(Int32(truncatingIfNeeded: i))
                keys.append(canonical)
                hashes.append(canonical.hash)
            }
            for k in rows.indices {
                // Two stages: the home slot of the flow 2d ahead, then (its slot loaded by now) the track
                // that slot names for the flow d ahead, so the track's miss is not taken at the lookup.
                if k &+ 2 &* Self.prefetchDistance < rows.count {
                    let hash = hashes[k &+ 2 &* Self.prefetchDistance]
                    slots.withUnsafeBufferPointer { medflow_prefetch($0.baseAddress! + Self.home(hash, mask: $0.count &- 1)) }
                }
                if k &+ Self.prefetchDistance < rows.count { prefetchTrack(hash: hashes[k &+ Self.prefetchDistance]) }
                let found = locate(keys[k], hash: hashes[k]).found
                guard found >= 0 else { continue }
                let i = Int(rows[k])
                let src = IPAddress(high: flows.srcHigh[i], low: flows.srcLow[i])
                let dstPort = flows.dstPort[i]
                tracks.update(found) { track in
                    let outbound = track.isOutbound(src: src, dstPort: dstPort)
                    let (out, back) = outbound ? (flows.bytesOut[i], flows.bytesIn[i]) : (flows.bytesIn[i], flows.bytesOut[i])
                    track.bytesOut &+= out
                    track.bytesIn &+= back
                    track.packets &+= flows.packetsOut[i] &+ flows.packetsIn[i]
                    track.lastPacket = max(track.lastPacket, flows.lastSeen[i])
                }
            }
            blockStart = blockEnd
        }
    }

    /// Flows per block of ``addTotals(of:)``.
    static let totalsBlock = 4096

    /// How many flows ahead ``addTotals(of:)`` prefetches tracks (slots twice as far ahead).
    static let prefetchDistance = 8

    /// Hints the CPU to load the track named by the home slot of `hash` when that slot's tag matches (the
    /// track a lookup of the key will most likely read).
    @inline(__always)
    private func prefetchTrack(hash: UInt64) {
        let word = slots.withUnsafeBufferPointer { $0[Self.home(hash, mask: $0.count &- 1)] }
        guard Self.slot(word, matches: hash) else { return }
        tracks.prefetch(Self.track(in: word))
    }

    /// The slot a key with hash `hash` probes first.
    @inline(__always)
    private static func home(_ hash: UInt64, mask: Int) -> Int { Int(truncatingIfNeeded: hash) & mask }

    /// The slot word of track `index` whose key has hash `hash` (see ``slots``).
    @inline(__always)
    private static func slotWord(hash: UInt64, track index: Int) -> UInt64 { hash & tagBits | UInt64(index &+ 1) }

    /// Whether slot word `word` names a track whose key hash has the same high 32 bits as `hash`.
    @inline(__always)
    private static func slot(_ word: UInt64, matches hash: UInt64) -> Bool { word != 0 && word & tagBits == hash & tagBits }

    /// The track a non-empty slot word names.
    @inline(__always)
    private static func track(in word: UInt64) -> Int { Int(truncatingIfNeeded: word & 0xFFFF_FFFF) &- 1 }

    /// The bits of a slot word that hold the key hash's high half.
    private static let tagBits: UInt64 = 0xFFFF_FFFF_0000_0000

    /// The track of `canonical` (or -1), and the slot it is in or would go in.
    @inline(__always)
    private func locate(_ canonical: Canonical, hash: UInt64) -> (found: Int, position: Int) {
        slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            var position = Self.home(hash, mask: mask)
            while slots[position] != 0 {
                let entry = slots[position]
                if Self.slot(entry, matches: hash) {
                    let candidate = Self.track(in: entry)
                    if tracks[candidate].canonical == canonical { return (candidate, position) }
                }
                position = (position &+ 1) & mask
            }
            return (-1, position)
        }
    }

    /// Doubles the slot table and re-inserts every track.
    private mutating func grow() {
        slots = [UInt64](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for index in tracks.indices {
            let hash = tracks[index].canonical.hash
            var position = Self.home(hash, mask: mask)
            while slots[position] != 0 { position = (position + 1) & mask }
            slots[position] = Self.slotWord(hash: hash, track: index)
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

extension BurstTracker.Canonical {
    /// The 5-tuple of lower endpoint (`a`, `aPort`) and higher endpoint (`b`, `bPort`).
    init(a: IPAddress, aPort: UInt16, b: IPAddress, bPort: UInt16, proto: UInt8) {
        self.init(aHigh: a.high, aLow: a.low, bHigh: b.high, bLow: b.low, ports: UInt32(aPort) << 16 | UInt32(bPort),
                  proto: proto)
    }
}
