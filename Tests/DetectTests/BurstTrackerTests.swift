import FlowModel
import Flows
import Testing
@testable import Detect

/// Intra-flow beacons: periodic packet bursts inside one long flow (Merlin over QUIC, held-open TLS).
@Suite struct BurstTrackerTests {
    static let client = IPAddress("10.0.0.4")!, server = IPAddress("24.199.110.233")!

    /// A long UDP flow with a burst (request, answer, ack) every `period` s ± `jitter`, split into batches.
    static func quicFlow(period: Double, jitter: Double, bursts: Int, seed: UInt64, poisson: Bool = false,
                         sport: UInt16 = 53_241) -> [PacketBatch] {
        var rng = SeededRandom(seed: seed)
        var packets: [(Double, Bool)] = []
        var t = 100.0
        for _ in 0..<bursts {
            packets += [(t, true), (t + 0.05, false), (t + 0.08, true)]
            t += poisson ? rng.exponential(mean: period) : period * (1 + jitter * (2 * rng.unit() - 1))
        }
        var batches: [PacketBatch] = []
        var batch = PacketBatch()
        for (time, outbound) in packets {
            batch.append(timestamp: Int64(time * 1e9), src: outbound ? client : server, dst: outbound ? server : client,
                         srcPort: outbound ? sport : 443, dstPort: outbound ? 443 : sport, proto: TransportProtocol.udp,
                         wireLength: outbound ? 120 : 300)
            if batch.count == 64 { batches.append(batch); batch = PacketBatch() }
        }
        if !batch.isEmpty { batches.append(batch) }
        return batches
    }

    /// Runs `batches` through a flow assembler that notes burst starts, as the pipeline does: each batch's
    /// burst starts, then the flows that ended, then (at the end) the open flows (ending flows notes no
    /// burst start).
    static func track(_ batches: [PacketBatch], into tracker: inout BurstTracker, shards: Int = 1) {
        let configuration = FlowConfiguration(burstGap: Double(tracker.quietGap) / 1e9)
        let assembler = FlowAssembler(configuration: configuration, shards: shards)
        for batch in batches {
            let flows = assembler.add([batch], shardIndices: [assembler.shardIndices(for: batch)])
            tracker.record(assembler.takeBurstStarts())
            tracker.addTotals(of: flows)
        }
        tracker.addTotals(of: assembler.finish())
        #expect(assembler.takeBurstStarts().isEmpty)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func periodicBurstsInOneFlowAreAnIntraFlowBeacon(seed: UInt64) throws {
        var tracker = BurstTracker()
        Self.track(Self.quicFlow(period: 15, jitter: 0.2, bursts: 60, seed: seed)
                   + Self.quicFlow(period: 15, jitter: 0, bursts: 60, seed: seed, poisson: true, sport: 50_000),
                   into: &tracker, shards: Int(seed))
        let findings = tracker.findings(detector: BeaconDetector())
        #expect(findings.count == 1)
        let finding = try #require(findings.first)
        #expect(finding.kind == .intraFlow)
        #expect(finding.key == BeaconKey(src: Self.client, dst: Self.server, dport: 443, proto: TransportProtocol.udp))
        #expect(finding.connections == 60)
        #expect(abs(finding.periodicity.period - 15) <= 0.75)
        #expect(finding.bytesOut == 60 * 240 && finding.bytesIn == 60 * 300)
        #expect(finding.connectionsTotal == 180)
    }

    /// A beacon whose period passes the UDP idle timeout is a new flow each beat: the starts still land on
    /// one track (a burst per flow), whose totals add up every flow.
    @Test func burstsAcrossFlowsOfOne5TupleShareATrack() throws {
        var tracker = BurstTracker()
        Self.track(Self.quicFlow(period: 90, jitter: 0.05, bursts: 40, seed: 9), into: &tracker)
        #expect(tracker.trackedKeys == 1)
        let finding = try #require(tracker.findings(detector: BeaconDetector()).first)
        #expect(finding.connections == 40)
        #expect(finding.bytesOut == 40 * 240 && finding.bytesIn == 40 * 300)
        #expect(abs(finding.periodicity.period - 90) <= 4.5)
    }

    /// The end-of-input flush: one batch of thousands of flows (lookups prefetched several flows ahead),
    /// most on untracked 5-tuples, shuffled. Each periodic track gets exactly its own flows' counts.
    @Test func aLargeBatchAddsEachFlowToItsOwnTrack() throws {
        var tracker = BurstTracker()
        let server = Self.server
        func client(_ i: Int) -> IPAddress { IPAddress(v4: 0x0A00_0001 | UInt32(i) << 8) }
        var starts: [BurstStart] = []
        for i in 0..<40 {
            for beat in 0..<10 {
                starts.append(BurstStart(a: client(i), b: server, aPort: UInt16(40_000 + i), bPort: 443,
                                         proto: TransportProtocol.udp, initiatorIsB: false,
                                         timestamp: 1_000_000_000_000 + Int64(beat) * 60_000_000_000))
            }
        }
        tracker.record(starts)
        var records: [FlowRecord] = []
        for i in 0..<3_000 {
            let tracked = i < 120
            let src = tracked ? client(i % 40) : IPAddress(v4: 0x0B00_0000 | UInt32(i))
            records.append(FlowRecord(src: src, dst: server, srcPort: UInt16(40_000 + (tracked ? i % 40 : i)), dstPort: 443,
                                      proto: TransportProtocol.udp, firstSeen: 1_000_000_000_000,
                                      lastSeen: 1_600_000_000_000, packetsOut: 2, bytesOut: UInt64(100 * (i % 40 + 1)),
                                      packetsIn: 1, bytesIn: 7, endReason: .endOfInput))
        }
        var rng = SeededRandom(seed: 4)
        records.shuffle(using: &rng)
        tracker.addTotals(of: FlowBatch(records))
        let findings = tracker.findings(detector: BeaconDetector())
        #expect(findings.count == 40)
        for finding in findings {
            let i = Int(finding.key.src.low >> 8 & 0xFF)  // client(i) is 10.0.i.1
            #expect(finding.bytesOut == UInt64(3 * 100 * (i + 1)) && finding.bytesIn == 21)
            #expect(finding.connectionsTotal == 9)
        }
    }

    @Test func memoryIsBoundedByTheKeyAndBurstCaps() {
        var tracker = BurstTracker(maximumKeys: 1, maximumBursts: 10)
        Self.track(Self.quicFlow(period: 15, jitter: 0, bursts: 30, seed: 1)
                   + Self.quicFlow(period: 15, jitter: 0, bursts: 5, seed: 1, sport: 50_001), into: &tracker)
        #expect(tracker.trackedKeys == 1)
        #expect(tracker.untrackedBursts == 5)
        let finding = tracker.findings(detector: BeaconDetector()).first
        #expect(finding?.connections == 10)
        #expect(finding?.isStrobe == true)
    }
}

extension BurstTrackerTests {
    /// Random packets in many flows: burst starts are at least the quiet gap apart, which a plain
    /// exponential null would mistake for regularity.
    @Test func randomPacketsInManyFlowsAreNotBeacons() {
        var rng = SeededRandom(seed: 5)
        var tracker = BurstTracker()
        var batches: [PacketBatch] = []
        var batch = PacketBatch()
        var t = 1_000.0
        for _ in 0..<60_000 {
            t += rng.exponential(mean: 0.005)
            let flow = UInt16(rng.next() % 300)
            let outbound = rng.unit() < 0.5
            batch.append(timestamp: Int64(t * 1e9), src: outbound ? Self.client : Self.server,
                         dst: outbound ? Self.server : Self.client, srcPort: outbound ? 40_000 + flow : 443,
                         dstPort: outbound ? 443 : 40_000 + flow, proto: TransportProtocol.udp, wireLength: 200)
            if batch.count == 4096 { batches.append(batch); batch = PacketBatch() }
        }
        Self.track(batches + [batch], into: &tracker, shards: 2)
        #expect(tracker.trackedKeys == 300)
        #expect(tracker.findings(detector: BeaconDetector()).isEmpty)
    }
}

/// TCP connections opened by a SYN are noted only from their first quiet gap on, carrying their start; UDP
/// flows and TCP flows caught mid-connection from their first packet.
extension BurstTrackerTests {
    /// A TCP session on one 5-tuple: a handshake at `start` (unless `handshake` is false), then a burst
    /// (request, answer) every `period` s, `bursts` of them after the handshake's own.
    static func tlsSession(start: Double, period: Double, bursts: Int, sport: UInt16 = 51_000,
                           handshake: Bool = true) -> PacketBatch {
        var batch = PacketBatch()
        func packet(_ t: Double, out: Bool, flags: UInt8, length: UInt32) {
            batch.append(timestamp: Int64(t * 1e9), src: out ? client : server, dst: out ? server : client,
                         srcPort: out ? sport : 443, dstPort: out ? 443 : sport, proto: TransportProtocol.tcp,
                         tcpFlags: flags, wireLength: length)
        }
        if handshake {
            packet(start, out: true, flags: TCPFlags.syn, length: 74)
            packet(start + 0.01, out: false, flags: TCPFlags.syn | TCPFlags.ack, length: 74)
        }
        packet(start + 0.02, out: true, flags: TCPFlags.ack | TCPFlags.psh, length: 300)
        for k in 1...max(1, bursts) where bursts > 0 {
            let t = start + Double(k) * period
            packet(t, out: true, flags: TCPFlags.ack | TCPFlags.psh, length: 200)
            packet(t + 0.03, out: false, flags: TCPFlags.ack | TCPFlags.psh, length: 900)
        }
        return batch
    }

    /// Burst starts the flow table notes for `batches` (one shard, quiet gap 1 s).
    static func noted(_ batches: [PacketBatch]) -> [BurstStart] {
        let assembler = FlowAssembler(configuration: FlowConfiguration(burstGap: 1), shards: 1)
        var starts: [BurstStart] = []
        for batch in batches {
            _ = assembler.add([batch], shardIndices: [assembler.shardIndices(for: batch)])
            starts += assembler.takeBurstStarts()
        }
        _ = assembler.finish()
        return starts
    }

    @Test func aSYNOpenedConnectionWithoutAQuietGapNotesNothing() {
        #expect(Self.noted([Self.tlsSession(start: 10, period: 0.2, bursts: 20)]).isEmpty)
    }

    @Test func aSYNOpenedConnectionIsNotedFromItsFirstGapWithItsStart() throws {
        let starts = Self.noted([Self.tlsSession(start: 10, period: 30, bursts: 3)])
        #expect(starts.map(\.timestamp) == [40.0, 70, 100].map { Int64($0 * 1e9) })
        #expect(starts.allSatisfy { $0.flowStart == Int64(10.0 * 1e9) })
        var tracker = BurstTracker()
        tracker.record(starts)
        #expect(tracker.trackedKeys == 1 && tracker.untrackedBursts == 0)
    }

    @Test func udpFlowsAndMidConnectionTCPAreNotedFromTheirFirstPacket() {
        let udp = Self.noted(Self.quicFlow(period: 0.1, jitter: 0, bursts: 3, seed: 1))
        #expect(udp.count == 1 && udp.first?.flowStart == udp.first?.timestamp)
        let midway = Self.noted([Self.tlsSession(start: 10, period: 0.2, bursts: 3, handshake: false)])
        #expect(midway.map(\.timestamp) == [Int64((10 + 0.02) * 1e9)])
    }

    /// A held-open TLS session beaconing every 30 s is an intra-flow beacon whose beats include its start.
    @Test func aHeldOpenTLSSessionIsAnIntraFlowBeaconCountingItsStart() throws {
        var tracker = BurstTracker()
        Self.track([Self.tlsSession(start: 100, period: 30, bursts: 39)], into: &tracker)
        let finding = try #require(tracker.findings(detector: BeaconDetector()).first)
        #expect(finding.kind == .intraFlow)
        #expect(finding.connections == 40)
        #expect(finding.key == BeaconKey(src: Self.client, dst: Self.server, dport: 443, proto: TransportProtocol.tcp))
        #expect(abs(finding.periodicity.period - 30) <= 1.5)
    }

    /// Two SYN-opened connections of one 5-tuple, each with quiet gaps: each start counts once.
    @Test func eachConnectionsStartCountsOnce() throws {
        var tracker = BurstTracker()
        var first = Self.tlsSession(start: 100, period: 30, bursts: 19)
        let second = Self.tlsSession(start: 700, period: 30, bursts: 19)
        // The first connection closes (FIN both ways) before the second opens.
        for (t, out) in [(671.0, true), (671.01, false)] {
            first.append(timestamp: Int64(t * 1e9), src: out ? Self.client : Self.server,
                         dst: out ? Self.server : Self.client, srcPort: out ? 51_000 : 443, dstPort: out ? 443 : 51_000,
                         proto: TransportProtocol.tcp, tcpFlags: TCPFlags.fin | TCPFlags.ack, wireLength: 66)
        }
        Self.track([first, second], into: &tracker)
        #expect(tracker.trackedKeys == 1)
        let finding = try #require(tracker.findings(detector: BeaconDetector()).first)
        #expect(finding.connections == 40)
    }
}
