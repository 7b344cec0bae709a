import Detect
import Foundation

/// The detector sinks of `medflow analyze`: fan-out always, egress when a policy is given.
struct DetectorSinks {
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
        egress = options.policyPath == nil ? nil : try EgressSink(
            policy: compiled, path: options.resultPath("egress"), format: options.format, compression: options.compression)
        fanOut = try FanOutSink(policy: compiled, path: options.resultPath("fanout"), format: options.format,
                                compression: options.compression)
        warnings = policy.warnings
        policyPath = options.policyPath
    }

    /// The policy file, if any.
    let policyPath: String?

    /// Policy warnings (e.g. MUD classes without addresses), for the summary.
    let warnings: [String]

    /// The sinks, in the order they run.
    var sinks: [any FlowSink] { ([egress] as [(any FlowSink)?] + [fanOut]).compactMap { $0 } }

    /// The files they write, by kind.
    var outputs: [String: String] {
        var outputs = ["fanout": fanOut.path]
        if let egress { outputs["egress"] = egress.path }
        return outputs
    }

    /// Adds the finding counts, the policy option and warnings to `summary`.
    func record(into summary: inout AnalysisSummary) {
        summary.findings["fanout"] = UInt64(fanOut.findings.count)
        if let egress {
            summary.findings["egress"] = UInt64(egress.findings.count)
            summary.findings["egress_uploads"] = UInt64(egress.findings.count { $0.upload })
            summary.findings["dns_answers"] = egress.dnsAnswers
        }
        summary.warnings += warnings
        if let policyPath { summary.options["policy"] = policyPath }
    }
}
