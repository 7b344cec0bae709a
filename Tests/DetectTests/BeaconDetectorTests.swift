import FlowModel
import Testing
@testable import Detect

/// Flow lists with known beacons, for the detector.
enum FlowFixtures {
    static func address(_ text: String) -> IPAddress { IPAddress(text)! }

    /// One flow per start time, `src → dst:dport/tcp`, each lasting 0.2 s.
    static func flows(src: String, dst: String, dport: UInt16 = 443, starts: [Double], bytesOut: UInt64 = 600,
                      answered: Bool = true) -> [FlowRecord] {
        starts.map { start in
            let ns = Int64(start * 1e9)
            return FlowRecord(src: address(src), dst: address(dst), srcPort: UInt16(40_000 + Int(start) % 20_000),
                              dstPort: dport, proto: TransportProtocol.tcp, firstSeen: ns, lastSeen: ns + 200_000_000,
                              packetsOut: 5, bytesOut: bytesOut, packetsIn: answered ? 4 : 0,
                              bytesIn: answered ? 4_000 : 0, endReason: .fin)
        }
    }

    /// A small network: two beacons (one jittered with misses), a benign periodic NTP poll, and Poisson
    /// web, DNS and HL7 traffic with constant sizes.
    static func network(seed: UInt64) -> [FlowRecord] {
        var rng = SeededRandom(seed: seed)
        var records: [FlowRecord] = []
        let c2 = SimulatedSeries.beacon(period: 60, jitter: 0.5, kind: .symmetric, missRate: 0.3, connections: 300, rng: &rng)
        records += flows(src: "10.50.1.20", dst: "203.0.113.77", starts: c2.times)
        let cs = SimulatedSeries.beacon(period: 300, jitter: 0.3, kind: .oneSidedDown, missRate: 0.1, connections: 80, rng: &rng)
        records += flows(src: "10.50.1.21", dst: "198.51.100.9", dport: 8443, starts: cs.times)
        let ntp = SimulatedSeries.beacon(period: 64, jitter: 0.02, kind: .symmetric, missRate: 0, connections: 200, rng: &rng)
        records += flows(src: "10.1.1.5", dst: "192.0.2.123", dport: 123, starts: ntp.times, bytesOut: 90)
        for host in 1...20 {
            let web = SimulatedSeries.poisson(mean: 90, count: 150, rng: &rng).map { $0 + 1_000 }
            records += flows(src: "10.2.0.\(host)", dst: "93.184.216.34", starts: web)
            let dns = SimulatedSeries.bursty(sessionMean: 300, sessions: 40, rng: &rng).map { $0 + 1_000 }
            records += flows(src: "10.2.0.\(host)", dst: "10.0.0.53", dport: 53, starts: dns, bytesOut: 80)
        }
        let hl7 = SimulatedSeries.poisson(mean: 20, count: 600, rng: &rng).map { $0 + 1_000 }
        records += flows(src: "10.60.0.4", dst: "10.60.0.9", dport: 2575, starts: hl7, bytesOut: 1_200)
        return records
    }

    /// `records` sorted by end time, in batches, as the flow stage delivers them.
    static func batches(_ records: [FlowRecord], size: Int = 500) -> [FlowBatch] {
        let sorted = records.sorted { ($0.lastSeen, $0.firstSeen, $0.src) < ($1.lastSeen, $1.firstSeen, $1.src) }
        return stride(from: 0, to: sorted.count, by: size).map { FlowBatch(sorted[$0..<min($0 + size, sorted.count)]) }
    }
}

@Suite struct BeaconDetectorTests {
    static func detector(_ records: [FlowRecord], configuration: BeaconConfiguration = BeaconConfiguration()) -> BeaconDetector {
        var detector = BeaconDetector(configuration: configuration)
        for batch in FlowFixtures.batches(records) { detector.consume(batch) }
        return detector
    }

    /// One batch larger than the detector's block of keys gives what many small batches give.
    @Test func oneLargeBatchEqualsManySmallOnes() {
        let records = FlowFixtures.network(seed: 7)
        #expect(records.count > BeaconDetector.blockFlows + 1)
        var whole = BeaconDetector(configuration: BeaconConfiguration())
        whole.consume(FlowFixtures.batches(records, size: records.count)[0])
        let small = Self.detector(records)
        #expect(whole.flowsSeen == small.flowsSeen)
        #expect(whole.connectionsHeld == small.connectionsHeld)
        // Compared as text: a finding without a spectral test holds a NaN p-value, never equal to itself.
        let findings = whole.findings().map { String(describing: $0) }
        #expect(findings.count >= 2)
        #expect(findings == small.findings().map { String(describing: $0) })
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func findsThePlantedBeaconsAndNothingElse(seed: UInt64) {
        let findings = Self.detector(FlowFixtures.network(seed: seed)).findings()
        let reported = Set(findings.map { "\($0.key.src)>\($0.key.dst):\($0.key.dport)" })
        #expect(reported == ["10.50.1.20>203.0.113.77:443", "10.50.1.21>198.51.100.9:8443", "10.1.1.5>192.0.2.123:123"])
        for finding in findings {
            let expected: Double = switch finding.key.dport { case 443: 60; case 8443: 255; default: 64 }
            #expect(abs(finding.periodicity.period - expected) <= 0.05 * expected, "\(finding.key): \(finding.periodicity)")
            #expect(finding.score >= 0.5)
        }
    }

    @Test func poissonWithConstantSizesScoresHighWithRITAButIsNotReported() throws {
        var rng = SeededRandom(seed: 42)
        let times = SimulatedSeries.poisson(mean: 60, count: 1_440, rng: &rng)
        let detector = Self.detector(FlowFixtures.flows(src: "10.2.0.1", dst: "93.184.216.34", starts: times))
        #expect(detector.findings().isEmpty)
        let state = try #require(detector.pairs.values.first)
        var normalised = state
        normalised.normalise(cap: 86_400)
        let beats = normalised.beatTimes(retryWindow: 1_000_000_000)
        let rita = try #require(detector.ritaScore(beats.wholeSeconds, sizes: beats.sizes))
        #expect(rita.score > 0.8)
    }

    @Test(arguments: [UInt64(7), 8, 9])
    func mergingHalvesGivesTheWhole(seed: UInt64) {
        let records = FlowFixtures.network(seed: seed)
        let whole = Self.detector(records)
        // Halves by time (two archives) and by parity (two collectors) both merge into the whole.
        let middle = records.map(\.firstSeen).sorted()[records.count / 2]
        for (first, second) in [(records.filter { $0.firstSeen < middle }, records.filter { $0.firstSeen >= middle }),
                                (records.enumerated().filter { $0.offset % 2 == 0 }.map(\.element),
                                 records.enumerated().filter { $0.offset % 2 == 1 }.map(\.element))] {
            var merged = Self.detector(first)
            merged.merge(Self.detector(second))
            #expect(merged.findings().map { "\($0)" } == whole.findings().map { "\($0)" })
            #expect(merged.pairCount == whole.pairCount)
        }
        #expect(!whole.findings().isEmpty)
    }

    @Test func retriesInTheSameSecondAreOneBeat() throws {
        var starts: [Double] = []
        var unanswered: [Double] = []
        for beat in 0..<40 {
            let t = 1_000 + Double(beat) * 30
            unanswered += [t, t + 0.3, t + 0.6]  // three failed attempts, then the one that got through
            starts.append(t + 0.9)
        }
        let records = FlowFixtures.flows(src: "10.9.0.1", dst: "203.0.113.5", starts: unanswered, answered: false)
            + FlowFixtures.flows(src: "10.9.0.1", dst: "203.0.113.5", starts: starts)
        let finding = try #require(Self.detector(records).findings().first)
        #expect(finding.connections == 40)
        #expect(finding.connectionsTotal == 160)
        #expect(abs(finding.periodicity.period - 30) < 0.3)
    }

    @Test func burstsOfFailedAttemptsAreNotAOneSecondBeacon() {
        var rng = SeededRandom(seed: 3)
        var attempts: [Double] = []
        for session in SimulatedSeries.poisson(mean: 120, count: 60, rng: &rng) {
            attempts += (0..<5).map { session + 0.2 * Double($0) }
        }
        let records = FlowFixtures.flows(src: "10.9.0.2", dst: "203.0.113.6", starts: attempts, answered: false)
        #expect(Self.detector(records).findings().isEmpty)
    }

    @Test func continuationsAreNotNewConnections() {
        let src = FlowFixtures.address("10.9.0.3"), dst = FlowFixtures.address("203.0.113.7")
        let pieces = (0..<48).map { piece in
            FlowRecord(src: src, dst: dst, srcPort: 50_000, dstPort: 443, proto: TransportProtocol.tcp,
                       flags: piece == 0 ? [] : .continuation, firstSeen: Int64(piece) * 1_800_000_000_000,
                       lastSeen: Int64(piece + 1) * 1_800_000_000_000 - 1, packetsOut: 100, bytesOut: 10_000,
                       packetsIn: 100, bytesIn: 10_000, endReason: .active)
        }
        let detector = Self.detector(pieces)
        #expect(detector.pairs.values.first?.connections == 1)
        #expect(detector.pairs.values.first?.bytesOut == 480_000)
        #expect(detector.findings().isEmpty)
    }

    @Test func theCapMakesAStrobeAndKeepsTheEarliest() throws {
        var configuration = BeaconConfiguration()
        configuration.connectionCap = 100
        let starts = (0..<300).map { 1_000 + Double($0) * 5 }
        let records = FlowFixtures.flows(src: "10.9.0.4", dst: "203.0.113.8", starts: starts)
        let finding = try #require(Self.detector(records.reversed(), configuration: configuration).findings().first)
        #expect(finding.isStrobe)
        #expect(finding.connections == 100)
        #expect(finding.connectionsTotal == 300)
        #expect(finding.firstSeen == 1_000_000_000_000)
        #expect(abs(finding.periodicity.period - 5) < 1e-6)
    }

    @Test func severityUsesZoneExternalAndAllowlist() throws {
        var rng = SeededRandom(seed: 11)
        let beacon = SimulatedSeries.beacon(period: 120, jitter: 0.1, kind: .symmetric, missRate: 0, connections: 200, rng: &rng)
        let records = FlowFixtures.flows(src: "10.50.1.30", dst: "203.0.113.99", starts: beacon.times)
            + FlowFixtures.flows(src: "10.1.1.6", dst: "192.0.2.123", dport: 123, starts: beacon.times)
            + (1...60).flatMap { FlowFixtures.flows(src: "10.3.0.\($0)", dst: "93.184.216.34", starts: [Double($0)]) }
        let context = BeaconContext(
            sourceZone: { $0 == FlowFixtures.address("10.50.1.30") ? (name: "pacs", medical: true) : nil },
            isAllowlisted: { _, names in names.contains { $0.hasSuffix(".ntp.org") } },
            namesOf: { $0 == FlowFixtures.address("192.0.2.123") ? ["time.ntp.org"] : [] })
        let findings = Self.detector(records).findings(context: context)
        let pacs = try #require(findings.first { $0.key.dport == 443 })
        let ntp = try #require(findings.first { $0.key.dport == 123 })
        #expect(pacs.zone == "pacs" && pacs.isMedicalZone && pacs.isExternal)
        #expect(pacs.severity == .critical)
        #expect(ntp.allowlisted && ntp.severity == .info && ntp.dnsNames == ["time.ntp.org"])
        #expect(pacs.prevalence < 0.02)
    }

    @Test func defaultContextKnowsPrivateSpace() {
        for text in ["10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "fd00::1", "fc00::1", "127.0.0.1"] {
            #expect(BeaconContext.isPrivate(FlowFixtures.address(text)), "\(text)")
        }
        for text in ["8.8.8.8", "172.32.0.1", "2001:db8::1", "192.169.0.1"] {
            #expect(!BeaconContext.isPrivate(FlowFixtures.address(text)), "\(text)")
        }
    }
}

/// RITA-only scoring (`--beacon-scoring rita`) reproduces RITA's known weakness on the same flows the
/// periodicity test gets right: persistent constant-size Poisson traffic scores above RITA's threshold.
@Suite struct RITAOnlyScoringTests {
    @Test func constantSizePoissonPassesRITAButNotThePeriodicityTest() {
        var rng = SeededRandom(seed: 11)
        let web = SimulatedSeries.poisson(mean: 60, count: 1_400, rng: &rng)
        let records = FlowFixtures.flows(src: "10.2.0.7", dst: "93.184.216.34", starts: web)
        var rita = BeaconConfiguration()
        rita.ritaOnlyThreshold = 0.7
        let ritaFindings = BeaconDetectorTests.detector(records, configuration: rita).findings()
        #expect(ritaFindings.count == 1)
        if let finding = ritaFindings.first {
            #expect(finding.score == finding.rita?.score && finding.score >= 0.7)
            #expect(finding.periodicity.method == .none && finding.periodicity.period > 0)
        }
        #expect(BeaconDetectorTests.detector(records).findings().isEmpty)
    }

    @Test func ritaOnlyReportsTheMedianIntervalAsThePeriod() {
        let starts = (0..<50).map { Double($0) * 30 + (($0 % 2 == 0) ? 0 : 1) }
        var rita = BeaconConfiguration()
        rita.ritaOnlyThreshold = 0.5
        let findings = BeaconDetectorTests.detector(FlowFixtures.flows(src: "10.0.0.1", dst: "192.0.2.1", starts: starts),
                                                    configuration: rita).findings()
        #expect(findings.count == 1 && findings.first.map { abs($0.periodicity.period - 31) < 1e-9 } == true)
    }
}
