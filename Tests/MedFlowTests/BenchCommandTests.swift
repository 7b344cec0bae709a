import Flows
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
        #expect(lines.contains { $0.hasPrefix("scaling: 1 -> 2 workers: ") })
        // The child runs decide about huge pages as this process does (same machine, same environment).
        #expect(lines.last?.hasPrefix(HugePages.wanted ? "flow table: transparent huge pages" : "flow table: 4 KB pages") == true)
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
        #expect(report.lines.last == "scaling: 1 -> 2 workers: 2.00x")  // summaries that do not say: no page line
    }

    @Test func reportNamesTheFlowTablePagesWhenEveryRunAgrees() {
        func report(_ huge: [Bool?]) -> [String] {
            ThroughputBench.Report(capturePath: "x.pcap", fileBytes: 1, packets: 1, readSeconds: 1,
                                   runs: huge.map { .init(workers: 1, seconds: 1, peakRSSBytes: 1, hugePages: $0) }).lines
        }
        #expect(report([true, true]).last == "flow table: transparent huge pages")
        #expect(report([false]).last?.hasPrefix("flow table: 4 KB pages (MEDFLOW_HUGE_PAGES=0, or a virtio balloon") == true)
        #expect(report([true, false]).last?.hasPrefix("flow table") == false)
        #expect(report([true, nil]).last?.hasPrefix("flow table") == false)
    }
}
