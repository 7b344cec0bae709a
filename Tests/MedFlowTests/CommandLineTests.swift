import Foundation
import Testing

/// The built `medflow` executable next to the test bundle, if `swift build` made it.
enum MedflowBinary {
    static let url: URL? = {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [directory.appendingPathComponent("medflow"),
                          SharedCaptures.projectRoot.appendingPathComponent(".build/debug/medflow")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Runs medflow with `arguments`; returns exit status, stdout and stderr.
    static func run(_ arguments: [String]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

@Suite(.enabled(if: MedflowBinary.url != nil, "the medflow executable is not built"))
struct CommandLineTests {
    @Test func badDataIsOneLineOnStderrWithExitCode65() throws {
        let path = temporaryDirectory() + ".pcap"
        try Data(repeating: 0x41, count: 40).write(to: URL(fileURLWithPath: path))
        let (status, stdout, stderr) = try MedflowBinary.run(["analyze", path, "--out", temporaryDirectory()])
        #expect(status == 65 && stdout.isEmpty)
        #expect(stderr == "medflow: \(path): unknown file format at byte 0: magic 0x41414141 is not pcap, pcapng, zstd or lz4\n")
    }

    @Test func usageErrorsExitWith64() throws {
        #expect(try MedflowBinary.run(["analyze", "x.pcap", "--workers", "0"]).0 == 64)
        #expect(try MedflowBinary.run(["analyze"]).0 == 64)
        #expect(try MedflowBinary.run(["flows", "x.pcap"]).0 == 64)  // -o is required
    }

    @Test(.enabled(if: SharedCaptures.available, "../shared/captures is absent"))
    func analyzeAndFlowsWriteTheirFiles() throws {
        let out = temporaryDirectory()
        let capture = SharedCaptures.path("test-cc-2.pcap")
        let (status, stdout, _) = try MedflowBinary.run(["analyze", capture, "--out", out, "--flows", "--quiet"])
        #expect(status == 0)
        #expect(stdout.contains("1084 packets") && stdout.contains("wrote: \(out)/beacons.ndjson.zst, \(out)/fanout.ndjson.zst, \(out)/flows.ndjson.zst, \(out)/summary.json"))
        #expect(stdout.contains("findings: beacons 1"))
        let quiet = try MedflowBinary.run(["analyze", capture, "--out", out + "-nb", "--no-beacons", "--quiet"])
        #expect(quiet.0 == 0 && !FileManager.default.fileExists(atPath: out + "-nb/beacons.ndjson.zst"))
        #expect(try MedflowBinary.run(["analyze", capture, "--beacon-min-connections", "4"]).0 == 64)
        let csv = out + "/all.csv.lz4"
        let flows = try MedflowBinary.run(["flows", capture, "-o", csv, "--workers", "1"])
        #expect(flows.0 == 0 && FileManager.default.fileExists(atPath: csv))
        #expect(try readBack(csv).hasPrefix("src,dst,sport,dport,proto,first_seen"))
    }
}
