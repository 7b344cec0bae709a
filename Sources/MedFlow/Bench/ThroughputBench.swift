internal import Foundation
internal import Synth

/// `medflow bench`: a self-contained throughput test for any machine, no peer tools needed.
///
/// It writes a `synth --scenario bulk` capture (and its policy) to a scratch directory, reads it once
/// to warm the page cache and time a bare read, then runs `medflow analyze` on it (all detectors, the
/// bulk policy, zstd output) as a child process, several times for each worker count, so every run's
/// peak RSS is its own. The report gives medians, packets and bytes per second, peak RSS and the
/// scaling from one worker to the most.
public enum ThroughputBench {
    /// What to run.
    public struct Options: Sendable {
        /// Packets in the synthetic capture.
        public var packets = 5_000_000
        /// Bytes kept per frame.
        public var snaplen = 128
        /// Synthesis seed.
        public var seed: UInt64 = 1
        /// Runs per worker count (the median is reported).
        public var runs = 3
        /// Worker counts to measure (default: 1 and the core count).
        public var workers: [Int] = Array(Set([1, ProcessInfo.processInfo.activeProcessorCount])).sorted()
        /// Scratch directory (default: a fresh one under the system's temporary directory).
        public var directory: String?
        /// Keep the capture and outputs instead of deleting them.
        public var keep = false
        /// The `medflow` executable the runs start.
        public var executable: String

        /// Options with the defaults, running `executable`.
        public init(executable: String) { self.executable = executable }
    }

    /// One `medflow analyze` run.
    public struct Run: Sendable, Hashable {
        /// Workers used.
        public var workers: Int
        /// Wall-clock seconds of the child process.
        public var seconds: Double
        /// Its peak resident set size, from its summary.json.
        public var peakRSSBytes: UInt64
        /// Whether its flow table asked for transparent huge pages (summary.json's `options.huge_pages`),
        /// nil where the summary does not say.
        public var hugePages: Bool? = nil
    }

    /// The measurements.
    public struct Report: Sendable {
        /// The capture analysed.
        public var capturePath: String
        /// Its size in bytes.
        public var fileBytes: UInt64
        /// Packets in it.
        public var packets: UInt64
        /// Seconds to read it once from the page cache (1 MiB reads).
        public var readSeconds: Double
        /// Every run, in the order made.
        public var runs: [Run]

        /// The median wall time of the runs with `workers` workers.
        public func medianSeconds(workers: Int) -> Double? {
            let times = runs.filter { $0.workers == workers }.map(\.seconds).sorted()
            return times.isEmpty ? nil : times[times.count / 2]
        }

        /// The largest peak RSS of the runs with `workers` workers.
        public func peakRSS(workers: Int) -> UInt64 {
            runs.filter { $0.workers == workers }.map(\.peakRSSBytes).max() ?? 0
        }

        /// The report as lines of text.
        public var lines: [String] {
            var lines = [String(format: "capture: %@, %.0f MB, %llu packets; bare page-cache read %.2f s (%.1f GB/s)",
                                capturePath, Double(fileBytes) / 1e6, packets, readSeconds,
                                Double(fileBytes) / max(readSeconds, 1e-9) / 1e9)]
            lines.append("workers  median s    Mpps   Gbit/s  peak RSS MB  runs (s)")
            let counts = Array(Set(runs.map(\.workers))).sorted()
            for workers in counts {
                guard let median = medianSeconds(workers: workers) else { continue }
                let times = runs.filter { $0.workers == workers }.map { String(format: "%.2f", $0.seconds) }
                lines.append(String(format: "%7d  %8.2f  %6.2f  %7.2f  %11.0f  %@", workers, median,
                                    Double(packets) / median / 1e6, Double(fileBytes) * 8 / median / 1e9,
                                    Double(peakRSS(workers: workers)) / 1e6, times.joined(separator: " ")))
            }
            if let low = counts.first, let high = counts.last, low != high,
               let one = medianSeconds(workers: low), let many = medianSeconds(workers: high) {
                lines.append(String(format: "scaling: %d -> %d workers: %.2fx", low, high, one / many))
            }
            switch Set(runs.map(\.hugePages)) {
            case [true]: lines.append("flow table: transparent huge pages")
            case [false]: lines.append("flow table: 4 KB pages (MEDFLOW_HUGE_PAGES=0, or a virtio balloon here reports free "
                                       + "pages to the host, so fresh huge pages are slow; MEDFLOW_HUGE_PAGES=1 asks for them)")
            default: break
            }
            return lines
        }
    }

    /// Errors of a bench run, each a one-line description.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// Writes the capture, then times the runs; `log` gets a line per step.
    public static func run(_ options: Options, log: (String) -> Void) throws -> Report {
        guard options.packets > 0, options.runs > 0, !options.workers.isEmpty, options.workers.allSatisfy({ $0 > 0 }) else {
            throw Failure(description: "bench: packets, runs and workers must be positive")
        }
        let directory = options.directory
            ?? (NSTemporaryDirectory() as NSString).appendingPathComponent("medflow-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { if !options.keep && options.directory == nil { try? FileManager.default.removeItem(atPath: directory) } }

        let capture = (directory as NSString).appendingPathComponent("bulk.pcap")
        var synth = SynthOptions(scenario: .bulk, output: capture)
        synth.packets = options.packets
        synth.snaplen = options.snaplen
        synth.seed = options.seed
        log("bench: writing \(options.packets) packets (snaplen \(options.snaplen)) to \(capture)")
        let result: SynthResult
        do { result = try Synthesizer.run(synth) } catch { throw Failure(description: "bench: \(error.description)") }
        guard let policy = result.policyPath else { throw Failure(description: "bench: the bulk capture came without its policy") }

        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: capture)[.size] as? NSNumber)?.uint64Value ?? 0
        _ = try readWhole(capture)  // warm the page cache
        let readSeconds = try readWhole(capture)

        var runs: [Run] = []
        for workers in options.workers {
            for index in 0..<options.runs {
                let out = (directory as NSString).appendingPathComponent("out-\(workers)-\(index)")
                let run = try analyze(capture: capture, policy: policy, out: out, workers: workers, executable: options.executable)
                log(String(format: "bench: %d worker(s), run %d: %.2f s, peak RSS %.0f MB", workers, index + 1,
                           run.seconds, Double(run.peakRSSBytes) / 1e6))
                runs.append(run)
                if !options.keep { try? FileManager.default.removeItem(atPath: out) }
            }
        }
        return Report(capturePath: capture, fileBytes: fileBytes, packets: result.truth.packets, readSeconds: readSeconds,
                      runs: runs)
    }

    /// Seconds to read `path` start to end in 1 MiB reads.
    static func readWhole(_ path: String) throws -> Double {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure(description: "bench: cannot open \(path)") }
        defer { try? handle.close() }
        let start = DispatchTime.now()
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {}
        return seconds(since: start)
    }

    /// Runs `medflow analyze` once and reads its summary.
    static func analyze(capture: String, policy: String, out: String, workers: Int, executable: String) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["analyze", capture, "--policy", policy, "--out", out, "--workers", String(workers), "--quiet"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let start = DispatchTime.now()
        try process.run()
        process.waitUntilExit()
        let elapsed = seconds(since: start)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw Failure(description: "bench: \(executable) analyze \(capture) exited with status \(process.terminationStatus)")
        }
        let summaryPath = (out as NSString).appendingPathComponent("summary.json")
        guard let data = FileManager.default.contents(atPath: summaryPath),
              let summary = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let rss = (summary["peak_rss_bytes"] as? NSNumber)?.uint64Value else {
            throw Failure(description: "bench: \(summaryPath): no peak_rss_bytes")
        }
        let hugePages = ((summary["options"] as? [String: Any])?["huge_pages"] as? String).map { $0 == "true" }
        return Run(workers: workers, seconds: elapsed, peakRSSBytes: rss, hugePages: hugePages)
    }
}
