public import Detect
public import FlowModel
public import Output
internal import Dispatch

/// Feeds every flow (and, for intra-flow beacons, the flow table's burst starts) to the beacon detector and,
/// at the end, writes `beacons.<format><compression>`: one record per periodic pair, highest score first.
/// The capture's DNS answers name the destinations (`dns_names`) and feed the allow-list's name rules.
public final class BeaconSink: BurstStartSink, DNSAnswerSink {
    /// The detector's state so far.
    public private(set) var detector: BeaconDetector
    /// The intra-flow burst tracker, when packet timing is observed.
    public private(set) var bursts: BurstTracker?
    private let context: BeaconContext
    /// The final path of the findings file.
    public let path: String
    /// Names each address was given in DNS answers (any client), at most ``maxNamesPerAddress`` each.
    private var namesByAddress: [IPAddress: [String]] = [:]
    /// The most names kept per address.
    public static let maxNamesPerAddress = 8
    private let format: OutputFormat
    private let compression: OutputCompression
    /// The findings written by ``finish()``.
    public private(set) var findings: [BeaconFinding] = []
    /// From this many flows on, a batch reaches the detector and the burst tracker side by side.
    var splitBatchFlows = FlowBatch.parallelGatherThreshold

    /// Creates the sink; nothing is written before ``finish()``.
    ///
    /// - Parameters:
    ///   - path: The final path of the findings file.
    ///   - configuration: Detection settings.
    ///   - intraFlow: Whether to track packet bursts inside long flows (needs burst starts, see
    ///     ``BurstStartSink``).
    ///   - context: What the network looks like, for severity.
    public init(path: String, format: OutputFormat, compression: OutputCompression,
                configuration: BeaconConfiguration = BeaconConfiguration(), intraFlow: Bool = true,
                context: BeaconContext = BeaconContext()) {
        self.path = path
        self.format = format
        self.compression = compression
        self.context = context
        detector = BeaconDetector(configuration: configuration)
        bursts = intraFlow ? BurstTracker() : nil
    }

    /// Adds the flows to the detector (and their counts to the burst tracks).
    public func consume(_ flows: FlowBatch) throws(AnalysisError) {
        guard bursts != nil, flows.count >= splitBatchFlows else {
            detector.consume(flows)
            bursts?.addTotals(of: flows)
            return
        }
        // A big batch (the end-of-input flush) is this sink's longest: the detector and the burst tracker
        // share nothing, so each takes it on its own core.
        nonisolated(unsafe) let sink = self  // invariant: task 0 touches `detector` only, task 1 `bursts` only
        DispatchQueue.concurrentPerform(iterations: 2) { sink.add(flows, part: $0) }
    }

    /// Two with intra-flow tracking: the detector (part 0) and the burst tracker (part 1) share nothing.
    public var sideBySideParts: Int { bursts == nil ? 1 : 2 }

    /// Part 0 adds the flows to the detector, part 1 their counts to the burst tracks.
    public func consume(_ flows: FlowBatch, part: Int) throws(AnalysisError) { add(flows, part: part) }

    /// The work of part `part` (``consume(_:part:)``), which cannot fail.
    private func add(_ flows: FlowBatch, part: Int) {
        if part == 0 { detector.consume(flows) } else { bursts?.addTotals(of: flows) }
    }

    /// The burst tracker's quiet gap, or `.max` without intra-flow tracking (no burst starts wanted).
    public var burstGap: Int64 { bursts?.quietGap ?? .max }

    /// Records the burst starts of long flows.
    public func consume(_ starts: [BurstStart]) {
        bursts?.record(starts)
    }

    /// Learns the names the capture's DNS answers give to addresses.
    public func consume(_ answers: [DNSAnswer]) {
        for answer in answers {
            var names = namesByAddress[answer.address, default: []]
            guard names.count < Self.maxNamesPerAddress, !names.contains(answer.name) else { continue }
            names.append(answer.name)
            namesByAddress[answer.address] = names
        }
    }

    /// Scores the pairs and writes the findings file.
    public func finish() throws(AnalysisError) {
        var context = self.context
        if !namesByAddress.isEmpty {
            let names = namesByAddress
            context.namesOf = { names[$0] ?? [] }
        }
        var all = detector.findings(context: context)
        if let bursts {
            // A 5-tuple reused across connections (NTP's fixed client port) shows the same beats as bursts:
            // the connection-level finding already explains it, so only pairs without one stay intra-flow.
            let explained = Set(all.map(\.key))
            all += bursts.findings(detector: detector, context: context).filter { !explained.contains($0.key) }
        }
        findings = BeaconDetector.sortedFindings(all)
        var encoder = RecordEncoder(format: format)
        encoder.header(BeaconFinding.fieldNames)
        for finding in findings { finding.encode(into: &encoder) }
        do {
            let file = try OutputFile(path: path, compression: compression, backgroundCompression: true)
            try encoder.withBytes { bytes throws(OutputError) in try file.write(bytes) }
            try file.close()
        } catch {
            throw .output(error)
        }
    }
}

extension BeaconFinding {
    /// The field names of a beacon record, in order (the CSV header).
    public static let fieldNames = [
        "src", "dst", "dport", "proto", "kind", "connections", "period_s", "jitter", "score", "severity", "zone",
        "allowlisted", "first_seen", "last_seen", "bytes_out", "bytes_in", "rita_score", "rita_ts", "rita_ds",
        "rita_hist", "rita_dur", "periodicity", "test", "spectral_p", "llr", "llr_threshold", "miss_rate", "comb_fraction", "prevalence",
        "external", "medical_zone", "strobe", "connections_total", "dns_names",
    ]

    /// Encodes the finding as one record.
    public func encode(into encoder: inout RecordEncoder) {
        encoder.beginRecord()
        encoder.address("src", key.src)
        encoder.address("dst", key.dst)
        encoder.integer("dport", UInt64(key.dport))
        let protoName = TransportProtocol.name(key.proto)
        if protoName.first?.isNumber ?? true || key.proto == TransportProtocol.sctp {
            encoder.integer("proto", UInt64(key.proto))
        } else {
            encoder.string("proto", protoName)
        }
        encoder.string("kind", kind.rawValue)
        encoder.integer("connections", UInt64(connections))
        encoder.number("period_s", periodicity.period, decimals: 3)
        encoder.number("jitter", periodicity.jitter, decimals: 3)
        encoder.number("score", score, decimals: 3)
        encoder.string("severity", severity.rawValue)
        if let zone { encoder.string("zone", zone) } else { encoder.null("zone") }
        encoder.boolean("allowlisted", allowlisted)
        encoder.timestamp("first_seen", firstSeen)
        encoder.timestamp("last_seen", lastSeen)
        encoder.integer("bytes_out", bytesOut)
        encoder.integer("bytes_in", bytesIn)
        if let rita {
            encoder.number("rita_score", rita.score, decimals: 3)
            encoder.number("rita_ts", rita.timestamp, decimals: 3)
            encoder.number("rita_ds", rita.dataSize, decimals: 3)
            encoder.number("rita_hist", rita.histogram, decimals: 3)
            encoder.number("rita_dur", rita.duration, decimals: 3)
        } else {
            for name: StaticString in ["rita_score", "rita_ts", "rita_ds", "rita_hist", "rita_dur"] { encoder.null(name) }
        }
        encoder.number("periodicity", periodicity.strength, decimals: 3)
        encoder.string("test", periodicity.method.rawValue)
        if periodicity.spectralPValue.isFinite {
            encoder.plainString("spectral_p") { $0.append(contentsOf: String(periodicity.spectralPValue).utf8) }
        } else {
            encoder.null("spectral_p")
        }
        encoder.number("llr", periodicity.logLikelihoodRatio, decimals: 2)
        encoder.number("llr_threshold", periodicity.threshold, decimals: 2)
        encoder.number("miss_rate", periodicity.missRate, decimals: 3)
        encoder.number("comb_fraction", periodicity.combFraction, decimals: 3)
        encoder.number("prevalence", prevalence, decimals: 4)
        encoder.boolean("external", isExternal)
        encoder.boolean("medical_zone", isMedicalZone)
        encoder.boolean("strobe", isStrobe)
        encoder.integer("connections_total", connectionsTotal)
        if dnsNames.isEmpty { encoder.null("dns_names") } else { encoder.string("dns_names", dnsNames.joined(separator: " ")) }
        encoder.endRecord()
    }
}
