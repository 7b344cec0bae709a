import Foundation
public import Output
import FlowModel

/// What `medflow synth` generates.
public enum SynthScenario: String, Sendable, CaseIterable {
    /// The hospital with planted MEDJACK activity and its truth and policy.
    case hospital
    /// Many random flows at a chosen packet count, for throughput tests.
    case bulk
}

/// Options of a synthetic capture.
public struct SynthOptions: Sendable {
    /// Which traffic.
    public var scenario: SynthScenario
    /// Capture length in hours (hospital).
    public var hours: Double
    /// The seed: the same seed and options give byte-identical files.
    public var seed: UInt64
    /// The capture path, e.g. `x.pcap.zst`; the truth and policy go beside it.
    public var output: String
    /// Bytes of each frame kept (the rest counted in the record's original length).
    public var snaplen: Int
    /// 802.1Q tagging.
    public var vlan: VLANMode
    /// Share of workstation web conversations over IPv6 (hospital), or of all flows (bulk).
    public var ipv6Share: Double
    /// pcap or pcapng; `nil` takes it from the file name.
    public var format: CaptureFormat?
    /// Nanosecond timestamps.
    public var nanoseconds: Bool
    /// Start a new file every this many seconds of capture time.
    public var rotateSeconds: Double?
    /// Packets of the bulk scenario.
    public var packets: Int
    /// Capture start, ns since the epoch.
    public var start: Int64
    /// Bytes of the planted upload (hospital).
    public var uploadBytes: Int
    /// Clinical workstations (hospital, at least 30 for the fan-out to reach 30 peers).
    public var workstations: Int

    /// 2026-03-02T00:00:00Z, a Monday: the default start, so output does not depend on the clock.
    public static let defaultStart: Int64 = 1_772_409_600 * 1_000_000_000

    /// Creates options with the defaults of the CLI.
    public init(scenario: SynthScenario = .hospital, hours: Double = 24, seed: UInt64 = 1, output: String,
                snaplen: Int = 262_144, vlan: VLANMode = .none, ipv6Share: Double = 0.1, format: CaptureFormat? = nil,
                nanoseconds: Bool = false, rotateSeconds: Double? = nil, packets: Int = 1_000_000,
                start: Int64 = SynthOptions.defaultStart, uploadBytes: Int = 250_000_000, workstations: Int = 40) {
        self.scenario = scenario
        self.hours = hours
        self.seed = seed
        self.output = output
        self.snaplen = snaplen
        self.vlan = vlan
        self.ipv6Share = ipv6Share
        self.format = format
        self.nanoseconds = nanoseconds
        self.rotateSeconds = rotateSeconds
        self.packets = packets
        self.start = start
        self.uploadBytes = uploadBytes
        self.workstations = workstations
    }
}

/// What a synth run wrote.
public struct SynthResult: Sendable {
    /// The capture files, in order.
    public var capturePaths: [String]
    /// The truth file.
    public var truthPath: String
    /// The policy file (hospital only).
    public var policyPath: String?
    /// The truth as written.
    public var truth: GroundTruth
    /// Seconds the run took.
    public var seconds: Double
}

/// Why a synth run failed.
public enum SynthError: Error, Sendable, CustomStringConvertible {
    /// An option out of range.
    case usage(String)
    /// A file could not be written.
    case output(OutputError)

    /// One line for the CLI.
    public var description: String {
        switch self {
        case .usage(let message): message
        case .output(let error): error.description
        }
    }
}

/// Generates synthetic captures with ground truth.
public enum Synthesizer {
    /// Writes the capture(s), the truth and the policy.
    public static func run(_ options: SynthOptions) throws(SynthError) -> SynthResult {
        try validate(options)
        let began = Date()
        let naming = OutputNaming(path: options.output)
        let format = options.format ?? naming.impliedFormat
        let builder = FrameBuilder(snaplen: options.snaplen)
        let writer = CaptureWriter(naming: naming, format: format, nanoseconds: options.nanoseconds,
                                   snaplen: options.snaplen, rotateSeconds: options.rotateSeconds, origin: options.start)
        var truth: GroundTruth
        var policyPath: String?
        do throws(OutputError) {
            switch options.scenario {
            case .hospital:
                let end = options.start + Int64(options.hours * 3.6e12)
                let scenario = HospitalScenario(plan: AddressPlan(vlanMode: options.vlan), start: options.start, end: end,
                                                seed: options.seed, ipv6Share: options.ipv6Share,
                                                uploadBytes: options.uploadBytes, workstations: options.workstations)
                let engine = Engine(builder: builder, writer: writer, end: end)
                scenario.install(into: engine)
                try engine.run()
                try writer.close()
                policyPath = naming.policyPath
                try writeText(scenario.policyYAML, to: naming.policyPath)
                let lists = scenario.truthLists()
                truth = makeTruth(options, writer: writer, end: end, policy: naming.policyPath)
                truth.beacons = lists.beacons
                truth.benignPeriodic = lists.benign
                truth.egress = lists.egress
                truth.fanout = lists.fanout
                truth.uploads = lists.uploads
                truth.policySummary = GroundTruth.PolicySummary(zones: AddressPlan.zones.map(\.name),
                                                                medicalZones: AddressPlan.zones.filter(\.medical).map(\.name))
            case .bulk:
                var random = SplitMix64(seed: options.seed)
                let vlan: UInt16 = if case .single(let id) = options.vlan { id } else { 0 }
                var bulk = BulkScenario(packets: options.packets, start: options.start, ipv6Share: options.ipv6Share,
                                        vlan: vlan)
                let end = try bulk.run(builder: builder, writer: writer, random: &random)
                try writer.close()
                policyPath = naming.policyPath
                try writeText(BulkScenario.policyYAML, to: naming.policyPath)
                truth = makeTruth(options, writer: writer, end: end, policy: naming.policyPath)
            }
            let data: Data
            do { data = try truth.jsonData() } catch {
                throw OutputError(path: naming.truthPath, detail: "cannot encode the truth: \(error)")
            }
            try writeText(String(decoding: data, as: UTF8.self) + "\n", to: naming.truthPath)
        } catch {
            throw .output(error)
        }
        return SynthResult(capturePaths: writer.paths, truthPath: naming.truthPath, policyPath: policyPath, truth: truth,
                           seconds: Date().timeIntervalSince(began))
    }

    private static func validate(_ options: SynthOptions) throws(SynthError) {
        guard options.hours > 0, options.hours <= 24 * 31 else { throw .usage("--hours must be in (0, 744]") }
        guard options.snaplen >= 64, options.snaplen <= 262_144 else { throw .usage("--snaplen must be in 64…262144") }
        guard (0...1).contains(options.ipv6Share) else { throw .usage("--ipv6-share must be in 0…1") }
        guard options.packets >= 0 else { throw .usage("--packets must not be negative") }
        guard options.uploadBytes > 0, options.uploadBytes <= 4_000_000_000 else {
            throw .usage("--upload-mb must be in (0, 4000]")
        }
        if let rotate = options.rotateSeconds, rotate < 1 { throw .usage("--rotate-seconds must be at least 1") }
        if case .single(let id) = options.vlan, id == 0 || id > 4094 { throw .usage("--vlan must be 1…4094 or 'zones'") }
        if options.scenario == .bulk, options.vlan == .perZone {
            throw .usage("--vlan zones applies to the hospital scenario; give bulk a VLAN id")
        }
        if options.scenario == .hospital, options.workstations < 1 || options.workstations > 240 {
            throw .usage("--workstations must be in 1…240")
        }
    }

    private static func makeTruth(_ options: SynthOptions, writer: CaptureWriter, end: Int64, policy: String?) -> GroundTruth {
        let names = writer.paths.map { ($0 as NSString).lastPathComponent }
        return GroundTruth(
            scenario: options.scenario.rawValue, seed: options.seed,
            hours: options.scenario == .hospital ? options.hours : Double(end - options.start) / 3.6e12,
            start: Timestamp(nanoseconds: options.start).rfc3339, end: Timestamp(nanoseconds: end).rfc3339,
            capture: names.first ?? "", captures: names, policy: policy.map { ($0 as NSString).lastPathComponent },
            packets: writer.packets, wireBytes: writer.wireBytes, beacons: [], benignPeriodic: [], egress: [],
            fanout: [], uploads: [], policySummary: nil)
    }

    private static func writeText(_ text: String, to path: String) throws(OutputError) {
        let file = try OutputFile(path: path, compression: .none)
        try file.write(Array(text.utf8))
        try file.close()
    }
}
