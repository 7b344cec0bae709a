import Foundation
import Testing
@testable import MedFlow

/// `medflow bench` end to end on a small capture, and its report's arithmetic.
@Suite struct BenchCommandTests {
    @Test(.enabled(if: MedflowBinary.url != nil, "the medflow executable is not built"))
    func benchRunsAnalyzeAndReportsEveryWorkerCount() throws {
        let directory = temporaryDirectory()
        let (status, stdout, stderr) = try MedflowBinary.run(["bench", "--packets", "20000", "--runs", "2",
                                                              "--workers", "1,2", "--directory", directory])
        #expect(status == 0, "\(stderr)")
        let lines = stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("20000 packets") == true)
        #expect(lines.contains { $0.hasPrefix("      1  ") } && lines.contains { $0.hasPrefix("      2  ") })
        #expect(lines.last?.hasPrefix("scaling: 1 -> 2 workers: ") == true)
        #expect(stderr.components(separatedBy: "run 2:").count == 3)  // two runs for each count
        // The runs analysed the capture with its policy: egress findings were written.
        #expect(FileManager.default.fileExists(atPath: directory + "/bulk.policy.yaml"))
        #expect(try MedflowBinary.run(["bench", "--workers", "0"]).0 == 64)
    }

    @Test func reportTakesMediansAndScaling() {
        let report = ThroughputBench.Report(
            capturePath: "x.pcap", fileBytes: 1_000_000_000, packets: 10_000_000, readSeconds: 0.5,
            runs: [.init(workers: 1, seconds: 4, peakRSSBytes: 300_000_000), .init(workers: 1, seconds: 3, peakRSSBytes: 310_000_000),
                   .init(workers: 1, seconds: 5, peakRSSBytes: 290_000_000), .init(workers: 2, seconds: 2, peakRSSBytes: 400_000_000)])
        #expect(report.medianSeconds(workers: 1) == 4 && report.medianSeconds(workers: 2) == 2)
        #expect(report.peakRSS(workers: 1) == 310_000_000)
        #expect(report.lines[2] == "      1      4.00    2.50     2.00          310  4.00 3.00 5.00")
        #expect(report.lines.last == "scaling: 1 -> 2 workers: 2.00x")
    }
}
