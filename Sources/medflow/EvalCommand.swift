public import ArgumentParser
import Foundation
import MedFlow

/// `medflow eval`: scores an analysis directory's beacons against a synthetic hospital's truth.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Score DIR/beacons.ndjson.zst against a synthetic hospital's NAME.truth.json."
    )

    @Argument(help: "The analysis directory (or a beacons.ndjson[.zst|.lz4] file).")
    var results: String

    @Option(help: "The ground-truth file written by medflow synth.")
    var truth: String

    @Option(help: "Truth beacons with fewer connections are not counted.")
    var minConnections = 12

    @Option(help: "Relative period error allowed.")
    var tolerance = 0.05

    func run() throws {
        var isDirectory: ObjCBool = false
        var path = results
        if FileManager.default.fileExists(atPath: results, isDirectory: &isDirectory), isDirectory.boolValue {
            let names = ["beacons.ndjson.zst", "beacons.ndjson.lz4", "beacons.ndjson"]
            path = names.map { (results as NSString).appendingPathComponent($0) }
                .first { FileManager.default.fileExists(atPath: $0) } ?? (results as NSString).appendingPathComponent(names[0])
        }
        let evaluation = try runReportingErrors { () throws(AnalysisError) in
            try BeaconEvaluation.evaluate(beaconsPath: path, truthPath: truth, minimumConnections: minConnections,
                                          tolerance: tolerance)
        }
        print(String(decoding: evaluation.jsonData(), as: UTF8.self), terminator: "")
    }
}
