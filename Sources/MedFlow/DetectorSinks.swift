import Detect
import Foundation

/// The detector sinks of `medflow analyze`: beacons unless turned off, fan-out always, egress when a policy
/// is given. Beacons finish first, so egress lines can say which of their pairs also beacon.
struct DetectorSinks {
    /// The beacon sink, unless beacon detection is off.
    let beacons: BeaconSink?
    /// The egress sink, with a policy.
    let egress: EgressSink?
    /// The fan-out sink.
    let fanOut: FanOutSink

    /// Reads the policy (if any) and creates the sinks and their files.
    init(_ options: AnalyzeOptions) throws(AnalysisError) {
        var policy = Policy()
        if let path = options.policyPath {
            do { policy = try PolicyReader.read(path: path) } catch { throw .policy(error) }
        }
        let compiled = CompiledPolicy(policy)
        beacons = options.beacons.map {
            BeaconSink(path: options.resultPath("beacons"), format: options.format, compression: options.compression,
                       configuration: $0, intraFlow: options.intraFlowBeacons, context: Self.beaconContext(compiled))
        }
        beacons?.splitBatchFlows = options.pipeline.sideBySideFlushFlows
        egress = options.policyPath == nil ? nil : try EgressSink(
            policy: compiled, path: options.resultPath("egress"), format: options.format, compression: options.compression)
        if let egress, let beacons {
            egress.beaconKeys = {
                Set(beacons.findings.map { ConnectionKey(src: $0.key.src, dst: $0.key.dst, dport: $0.key.dport, proto: $0.key.proto) })
            }
        }
        fanOut = try FanOutSink(policy: compiled, path: options.resultPath("fanout"), format: options.format,
                                compression: options.compression)
        warnings = policy.warnings
        policyPath = options.policyPath
    }

    /// The policy file, if any.
    let policyPath: String?

    /// Policy warnings (e.g. MUD classes without addresses), for the summary.
    let warnings: [String]

    /// The sinks, in the order they run (and finish).
    var sinks: [any FlowSink] { ([beacons, egress] as [(any FlowSink)?] + [fanOut]).compactMap { $0 } }

    /// The sinks that want burst starts (intra-flow beacons).
    var burstSinks: [any BurstStartSink] { beacons.flatMap { $0.bursts == nil ? nil : [$0] } ?? [] }

    /// The files they write, by kind.
    var outputs: [String: String] {
        var outputs = ["fanout": fanOut.path]
        if let egress { outputs["egress"] = egress.path }
        if let beacons { outputs["beacons"] = beacons.path }
        return outputs
    }

    /// The policy as the beacon detector sees it: internal space, source zones and the beacon allow-list.
    static func beaconContext(_ policy: CompiledPolicy) -> BeaconContext {
        BeaconContext(
            isInternal: { policy.isInternal($0) },
            sourceZone: { address in
                policy.zoneIndex(of: address).map { (policy.zones[$0].name, policy.zones[$0].medical) }
            },
            isAllowlisted: { policy.beaconAllowed(dst: $0, names: $1) })
    }

    /// Adds the finding counts, the policy option and warnings to `summary`.
    func record(into summary: inout AnalysisSummary) {
        summary.findings["fanout"] = UInt64(fanOut.findings.count)
        if let beacons { summary.findings["beacons"] = UInt64(beacons.findings.count) }
        if let egress {
            summary.findings["egress"] = UInt64(egress.findings.count)
            summary.findings["egress_uploads"] = UInt64(egress.findings.count { $0.upload })
            summary.findings["dns_answers"] = egress.dnsAnswers
        }
        summary.warnings += warnings
        if let policyPath { summary.options["policy"] = policyPath }
    }
}
