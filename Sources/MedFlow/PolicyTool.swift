public import Detect
import FlowModel
import Foundation
import Output

/// The library side of `medflow policy check` and `medflow policy learn`.
public enum PolicyTool {
    /// Reads and compiles a policy file.
    ///
    /// - Parameter path: The policy YAML.
    /// - Returns: The compiled policy (``CompiledPolicy/describe()`` lists its zones and rules).
    /// - Throws: ``AnalysisError/policy(_:)`` naming the file and line of the first problem.
    public static func check(path: String) throws(AnalysisError) -> CompiledPolicy {
        do { return CompiledPolicy(try PolicyReader.read(path: path)) } catch { throw .policy(error) }
    }

    /// Reads and compiles a policy file and lists its zones, rules, thresholds and warnings.
    ///
    /// - Parameter path: The policy YAML.
    /// - Throws: ``AnalysisError/policy(_:)`` naming the file and line of the first problem.
    public static func describe(path: String) throws(AnalysisError) -> String {
        try check(path: path).describe()
    }

    /// Proposes a policy from observed traffic: the zones file with, for each medical zone, allow
    /// rules for what the zone was seen talking to (see ``PolicyLearner``).
    ///
    /// - Parameters:
    ///   - pipeline: The captures to learn from.
    ///   - zonesPath: A policy file with the zones (allow rules in it are kept).
    ///   - progress: Called after each pipeline step.
    /// - Returns: The proposed policy as YAML, and the run's summary.
    public static func learn(_ pipeline: PipelineOptions, zonesPath: String,
                             progress: ((ProgressSnapshot) -> Void)? = nil) throws(AnalysisError)
        -> (yaml: String, summary: AnalysisSummary) {
        let started = Date()
        let zones = try check(path: zonesPath)
        guard zones.zones.contains(where: \.medical) else {
            throw .policy(PolicyError(path: zonesPath, message: "no zone is marked medical: true, nothing to learn"))
        }
        let sink = LearnSink(policy: zones)
        let report = try Pipeline(options: pipeline).run(sinks: [sink], progress: progress)
        let proposal = sink.learner.proposal(names: sink.names)
        var header = ["medflow \(MedFlowVersion.current) policy learn: allow rules proposed from observed traffic.",
                      "Zones from \(zonesPath); captures: \(report.inputs.map(\.path).joined(separator: ", "))",
                      "Review before use: everything seen is proposed, including traffic that should not be there."]
        if let first = report.inputs.compactMap(\.firstSeen).min(), let last = report.inputs.compactMap(\.lastSeen).max() {
            header.append("Traffic from \(Timestamp(nanoseconds: first).rfc3339) to \(Timestamp(nanoseconds: last).rfc3339).")
        }
        var summary = AnalysisSummary(command: "policy learn", startedAt: started, report: report,
                                      options: ["zones": zonesPath], outputs: [:])
        let learned = proposal.zones.reduce(0) { $0 + $1.allow.count { $0.origin == "learned" } }
        summary.findings["learned_rules"] = UInt64(learned)
        summary.findings["dns_answers"] = sink.answers
        return (PolicyWriter.yaml(proposal, header: header), summary)
    }
}

/// Feeds flows and DNS answers to a ``PolicyLearner``.
final class LearnSink: FlowSink, DNSAnswerSink {
    var learner: PolicyLearner
    var names = DNSNameTable()
    var answers: UInt64 = 0

    init(policy: CompiledPolicy) {
        learner = PolicyLearner(policy: policy)
    }

    func consume(_ flows: FlowBatch) throws(AnalysisError) {
        learner.consume(flows)
    }

    func consume(_ answers: [DNSAnswer]) {
        self.answers &+= UInt64(answers.count)
        names.add(answers)
    }

    func finish() throws(AnalysisError) {}
}
