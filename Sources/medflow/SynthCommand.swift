import ArgumentParser
import Foundation
import MedFlow
import Synth

/// `medflow synth`: a synthetic capture with ground truth.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a deterministic synthetic capture with ground truth (and, for the hospital, its policy).",
        discussion: """
            -o x.pcap.zst writes x.pcap.zst, x.truth.json and x.policy.yaml. The file name picks pcap or pcapng \
            (.pcapng) and compression (.zst, .lz4, else none). The same seed and options give identical files.
            """
    )

    @Option(help: "hospital (MEDJACK scenario with truth and policy) or bulk (random flows for throughput tests).")
    var scenario: String = "hospital"

    @Option(help: "Capture length in hours (hospital).")
    var hours: Double = 24

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(name: .shortAndLong, help: "The capture file, e.g. hospital.pcap.zst.")
    var output: String

    @Option(help: "Bytes of each frame kept in the capture.")
    var snaplen: Int = 262_144

    @Option(help: "802.1Q tag: a VLAN id for every frame, or 'zones' for one VLAN per hospital zone.")
    var vlan: String?

    @Option(name: .customLong("ipv6-share"), help: "Share of workstation Internet conversations over IPv6 (bulk: of all flows).")
    var ipv6Share: Double = 0.1

    @Option(help: "pcap or pcapng (default: from the file name).")
    var format: String?

    @Flag(help: "Nanosecond timestamps instead of microseconds.")
    var nanoseconds = false

    @Option(name: .customLong("rotate-seconds"), help: "Start a new file every N seconds of capture time (x-0000.pcap, …).")
    var rotateSeconds: Double?

    @Option(help: "Packets to write (bulk).")
    var packets: Int = 1_000_000

    @Option(help: "Capture start, RFC 3339 (default 2026-03-02T00:00:00Z).")
    var start: String?

    @Option(name: .customLong("upload-mb"), help: "Megabytes of the planted PACS upload (hospital).")
    var uploadMB: Double = 250

    @Option(help: "Clinical workstations (hospital; the SMB fan-out reaches up to 36 of them).")
    var workstations: Int = 40

    func run() throws {
        guard let scenarioValue = SynthScenario(rawValue: scenario) else {
            throw ValidationError("--scenario must be hospital or bulk")
        }
        var formatValue: CaptureFormat?
        if let format {
            guard let value = CaptureFormat(rawValue: format) else { throw ValidationError("--format must be pcap or pcapng") }
            formatValue = value
        }
        var vlanMode = VLANMode.none
        if let vlan {
            if vlan == "zones" {
                vlanMode = .perZone
            } else if let id = UInt16(vlan) {
                vlanMode = .single(id)
            } else {
                throw ValidationError("--vlan must be a VLAN id (1-4094) or 'zones'")
            }
        }
        var startNanoseconds = SynthOptions.defaultStart
        if let start {
            guard let date = ISO8601DateFormatter().date(from: start) else {
                throw ValidationError("--start must be an RFC 3339 time such as 2026-03-02T08:00:00Z")
            }
            startNanoseconds = Int64(date.timeIntervalSince1970) * 1_000_000_000
        }
        let options = SynthOptions(scenario: scenarioValue, hours: hours, seed: seed, output: output, snaplen: snaplen,
                                   vlan: vlanMode, ipv6Share: ipv6Share, format: formatValue, nanoseconds: nanoseconds,
                                   rotateSeconds: rotateSeconds, packets: packets, start: startNanoseconds,
                                   uploadBytes: Int(uploadMB * 1_000_000), workstations: workstations)
        let result: SynthResult
        do {
            result = try Synthesizer.run(options)
        } catch {
            printError("medflow: \(error.description)")
            throw ExitCode(error.isUsage ? 64 : 74)
        }
        let truth = result.truth
        let rate = Double(truth.packets) / max(result.seconds, 1e-9)
        printError("medflow synth: \(truth.scenario) seed \(truth.seed): \(Human.count(truth.packets)) packets, "
            + "\(Human.bytes(truth.wireBytes)) on the wire, \(truth.start) – \(truth.end), "
            + String(format: "%.2f s (%@ packets/s)", result.seconds, Human.count(UInt64(rate))))
        for path in result.capturePaths.prefix(3) { printError("  capture: \(path)") }
        if result.capturePaths.count > 3 { printError("  … \(result.capturePaths.count) capture files") }
        printError("  truth:   \(result.truthPath)")
        if let policy = result.policyPath { printError("  policy:  \(policy)") }
        if truth.scenario == "hospital" {
            printError("  planted: \(truth.beacons.count) beacons, \(truth.egress.count) egress pairs, "
                + "\(truth.fanout.count) fan-out, \(truth.uploads.count) upload; \(truth.benignPeriodic.count) benign periodic pairs")
        }
    }
}

extension SynthError {
    var isUsage: Bool { if case .usage = self { true } else { false } }
}
