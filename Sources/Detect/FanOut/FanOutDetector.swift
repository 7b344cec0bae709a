public import FlowModel

/// One line of `fanout.ndjson`: a host that opened connections to many distinct internal peers on one
/// service port within a window (SMB/RDP/DICOM worm spread, MEDJACK-style lateral movement).
public struct FanOutFinding: Sendable, Hashable {
    /// The initiating host.
    public var src: IPAddress
    /// The service port.
    public var dport: UInt16
    /// The IP protocol number.
    public var proto: UInt8
    /// Distinct peers in the busiest window.
    public var peers: Int
    /// Seconds from the first to the last connection of that window.
    public var windowSeconds: Double
    /// The first connection of that window, ns since the epoch.
    public var firstSeen: Int64
    /// The last connection of that window, ns since the epoch.
    public var lastSeen: Int64
    /// The zone of `src`, when a policy names one.
    public var zone: String?
}

/// Finds hosts that connect to at least `fanoutPeers` distinct internal peers on one of the
/// `fanoutPorts` within `fanoutWindowSeconds` (``Policy/Thresholds``).
///
/// Keeps the connection starts (time, peer) of every internal initiator on the watched ports, per
/// (src, dport, proto); ``finish()`` sorts them and slides the window over them, reporting each key
/// once with the most distinct peers any window held. The state of two halves merges by
/// concatenation (``merge(_:)``), so the result does not depend on how the input was split.
public struct FanOutDetector: Sendable {
    /// The compiled policy (zones, internal networks, thresholds).
    public let policy: CompiledPolicy
    /// The watched ports, one bit per port number.
    private let ports: [UInt64]
    /// Connection starts, per (src, dport, proto) key.
    private var events = FanOutEvents()
    /// Most connection starts kept per key; beyond it the oldest half is dropped (memory guard).
    public static let maxEventsPerKey = 1 << 20

    /// Creates a detector using `policy`'s zones, internal networks and thresholds.
    public init(policy: CompiledPolicy) {
        self.policy = policy
        var ports = [UInt64](repeating: 0, count: 1024)
        for port in policy.policy.thresholds.fanoutPorts { ports[Int(port) >> 6] |= 1 << UInt64(port & 63) }
        self.ports = ports
    }

    /// Takes finished flows: every TCP/UDP/SCTP connection start between internal hosts on a watched port.
    public mutating func consume(_ flows: FlowBatch) {
        for i in 0..<flows.count {
            let dport = flows.dstPort[i]
            guard ports[Int(dport) >> 6] & (1 << UInt64(dport & 63)) != 0 else { continue }
            let flags = FlowRecord.Flags(rawValue: flows.flags[i])
            let proto = flows.proto[i]
            guard !flags.contains(.link), !flags.contains(.continuation),
                  proto == TransportProtocol.tcp || proto == TransportProtocol.udp || proto == TransportProtocol.sctp
            else { continue }
            let src = IPAddress(high: flows.srcHigh[i], low: flows.srcLow[i])
            let dst = IPAddress(high: flows.dstHigh[i], low: flows.dstLow[i])
            guard src != dst, policy.isInternal(src), policy.isInternal(dst) else { continue }
            let key = events.keyIndex(src: src, dport: dport, proto: proto)
            if events.append(key: key, time: flows.firstSeen[i], peer: dst) > Self.maxEventsPerKey {
                events.dropOldest(Self.maxEventsPerKey / 2, of: key)
            }
        }
    }

    /// Adds the state of a detector that saw other flows.
    public mutating func merge(_ other: FanOutDetector) {
        let theirs = other.events
        var mapped = [Int](repeating: -1, count: theirs.keySrc.count)
        for row in theirs.eventKey.indices {
            let their = Int(theirs.eventKey[row])
            if mapped[their] < 0 {
                let portProto = theirs.keyPortProto[their]
                mapped[their] = events.keyIndex(src: theirs.keySrc[their], dport: UInt16(portProto >> 8),
                                                proto: UInt8(truncatingIfNeeded: portProto))
            }
            _ = events.append(key: mapped[their], time: theirs.eventTime[row], peer: theirs.eventPeer[row])
        }
    }

    /// The hosts that fanned out, most peers first.
    public func finish() -> [FanOutFinding] {
        let thresholds = policy.policy.thresholds
        let window = Int64(thresholds.fanoutWindowSeconds * 1e9)
        var findings: [FanOutFinding] = []
        // A key with fewer events than the threshold cannot have that many distinct peers.
        for (index, list) in events.groups(minimum: max(thresholds.fanoutPeers, 1)) {
            guard Set(list.map(\.peer)).count >= thresholds.fanoutPeers else { continue }
            let portProto = events.keyPortProto[index]
            let src = events.keySrc[index], dport = UInt16(portProto >> 8), proto = UInt8(truncatingIfNeeded: portProto)
            let sorted = list.sorted { $0.time < $1.time }
            var counts: [IPAddress: Int] = [:]
            var left = 0
            var best = (peers: 0, first: Int64(0), last: Int64(0))
            for right in sorted.indices {
                counts[sorted[right].peer, default: 0] += 1
                while sorted[right].time - sorted[left].time > window {
                    let peer = sorted[left].peer
                    counts[peer]! -= 1
                    if counts[peer] == 0 { counts[peer] = nil }
                    left += 1
                }
                if counts.count > best.peers { best = (counts.count, sorted[left].time, sorted[right].time) }
            }
            guard best.peers >= thresholds.fanoutPeers else { continue }
            let zone = policy.zoneIndex(of: src).map { policy.zones[$0].name }
            findings.append(FanOutFinding(src: src, dport: dport, proto: proto, peers: best.peers,
                                          windowSeconds: Double(best.last - best.first) / 1e9,
                                          firstSeen: best.first, lastSeen: best.last, zone: zone))
        }
        return findings.sorted {
            $0.peers != $1.peers ? $0.peers > $1.peers : ($0.src, $0.dport, $0.proto) < ($1.src, $1.dport, $1.proto)
        }
    }
}
