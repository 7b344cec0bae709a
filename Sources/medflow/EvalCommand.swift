import ArgumentParser
import Foundation
import MedFlow

/// `medflow eval`: precision and recall of findings against a synthetic capture's truth.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score findings of `medflow analyze` against the truth file of `medflow synth`.",
        discussion: """
            Reads FINDINGS_DIR/beacons, egress and fanout (.ndjson or .csv, plain, .zst or .lz4). A detector \
            whose file is absent is reported as "not run". Prints a table and writes JSON.
            """
    )

    @Argument(help: "The --out directory of medflow analyze.")
    var findingsDirectory: String

    @Argument(help: "The NAME.truth.json written by medflow synth.")
    var truth: String

    @Option(help: "Where to write the JSON report (default FINDINGS_DIR/eval.json).")
    var json: String?

    @Option(name: .customLong("min-connections"),
            help: "Planted beacons with fewer connections in the capture do not count towards recall.")
    var minConnections: Int = 12

    func run() throws {
        let report = try runReportingErrors { () throws(AnalysisError) in
            try Evaluator.evaluate(findingsDirectory: findingsDirectory, truthPath: truth, minConnections: minConnections)
        }
        print(report.text)
        let path = json ?? (findingsDirectory as NSString).appendingPathComponent("eval.json")
        do {
            try (report.jsonData() + Data("\n".utf8)).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            printError("medflow: \(path): cannot write the report: \(error.localizedDescription)")
            throw ExitCode(74)
        }
        printError("medflow eval: report written to \(path)")
    }
}
