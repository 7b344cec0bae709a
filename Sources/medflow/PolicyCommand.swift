import ArgumentParser
import Foundation
import MedFlow

/// `medflow policy`: check a policy file, or learn one from traffic.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check an egress policy file, or propose one from observed traffic.",
        subcommands: [Check.self, Learn.self]
    )

    /// `medflow policy check FILE`.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a policy file and print the zones and rules it compiles to.")

        @Argument(help: "The policy file (YAML).")
        var file: String

        func run() throws {
            print(try runReportingErrors { () throws(AnalysisError) in try PolicyTool.describe(path: file) })
        }
    }

    /// `medflow policy learn CAPTURE… --zones FILE -o POLICY`.
    struct Learn: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Propose allow rules from captures, as a policy file to review.",
            discussion: "Every connection a medical zone started to an address outside the zone becomes part of an "
                + "allow rule: names where the capture's DNS answers show them, else addresses (internal ones "
                + "collapsed to /24 when several share it)."
        )

        @OptionGroup var pipeline: PipelineArguments

        @Option(help: "A policy file with the zones (allow rules in it are kept).")
        var zones: String

        @Option(name: .shortAndLong, help: "Where to write the proposed policy (default: standard output).")
        var output: String?

        func run() throws {
            let progress = ProgressLine(enabled: !pipeline.quiet)
            let (yaml, summary) = try runReportingErrors { () throws(AnalysisError) in
                try PolicyTool.learn(pipeline.pipelineOptions, zonesPath: zones, progress: progress.update)
            }
            progress.clear()
            if let output {
                do { try yaml.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                    printError("medflow: \(output): cannot write: \(error.localizedDescription)")
                    throw ExitCode(74)
                }
                printError(SummaryText.render(summary))
                printError("  learned \(summary.findings["learned_rules"] ?? 0) rule(s); wrote \(output)")
            } else {
                print(yaml, terminator: "")
                printError(SummaryText.render(summary))
            }
        }
    }
}
