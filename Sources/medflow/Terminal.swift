import ArgumentParser
import Foundation
import MedFlow
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// The version text `--version` prints.
enum MedFlowVersionText {
    static let current = MedFlowVersion.current
}

/// Runs `body`; on failure prints `medflow: <one line>` to stderr and exits with the error's status.
func runReportingErrors<T>(_ body: () throws(AnalysisError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        printError("medflow: \(error.description)")
        throw ExitCode(error.exitCode)
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// The progress line on stderr: shown only on a terminal, after the first second, at most 4 times a second.
final class ProgressLine: @unchecked Sendable {
    // @unchecked: called only from the pipeline's driving thread.
    private let enabled: Bool
    private var lastDraw: Double = 0
    private var drawn = false

    init(enabled: Bool) {
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
    }

    func update(_ snapshot: ProgressSnapshot) {
        guard enabled, snapshot.elapsed >= 1, snapshot.elapsed - lastDraw >= 0.25 else { return }
        lastDraw = snapshot.elapsed
        drawn = true
        let rate = Double(snapshot.packets) / max(snapshot.elapsed, 1e-9)
        let line = "[\(snapshot.filesDone)/\(snapshot.filesTotal) files] \(Human.count(snapshot.packets)) packets, "
            + "\(Human.bytes(snapshot.bytes)), \(Human.count(UInt64(rate))) packets/s"
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    func clear() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// Human-readable numbers.
enum Human {
    static func count(_ value: UInt64) -> String {
        switch value {
        case ..<10_000: String(value)
        case ..<10_000_000: String(format: "%.1f k", Double(value) / 1e3)
        case ..<10_000_000_000: String(format: "%.1f M", Double(value) / 1e6)
        default: String(format: "%.1f G", Double(value) / 1e9)
        }
    }

    static func bytes(_ value: UInt64) -> String {
        switch value {
        case ..<10_000: "\(value) B"
        case ..<10_000_000: String(format: "%.1f kB", Double(value) / 1e3)
        case ..<10_000_000_000: String(format: "%.1f MB", Double(value) / 1e6)
        default: String(format: "%.1f GB", Double(value) / 1e9)
        }
    }
}

/// The short human summary printed after a run.
enum SummaryText {
    static func render(_ summary: AnalysisSummary) -> String {
        let totals = summary.totals
        var lines: [String] = []
        lines.append("medflow \(summary.medflowVersion): \(summary.command) read \(totals.files) file(s), "
            + "\(Human.count(totals.packets)) packets, \(Human.bytes(totals.bytes)) in "
            + String(format: "%.2f s", summary.timingsS.wall)
            + " (\(Human.count(UInt64(summary.throughput.packetsPerS))) packets/s)")
        lines.append("  flows: \(Human.count(totals.flows)) (\(Human.count(totals.flowPackets)) packets, "
            + "\(Human.bytes(totals.flowBytes))); link-layer frames: \(totals.linkFrames)"
            + (totals.filteredOut > 0 ? "; filtered out: \(totals.filteredOut)" : ""))
        let exports = summary.inputs.compactMap(\.flowExport)
        if !exports.isEmpty {
            let dropped = exports.reduce(0) { $0 + $1.droppedDataSets }
            let bad = exports.reduce(0) { $0 + $1.malformedRecords }
            lines.append("  flow records: \(Human.count(exports.reduce(0) { $0 + $1.records })) from "
                + "\(exports.count) flow-export file(s) (records count as packets above)"
                + (dropped > 0 ? "; data sets dropped: \(dropped)" : "") + (bad > 0 ? "; malformed records: \(bad)" : ""))
        }
        let skipped = summary.skipped
        if skipped.tooShort + skipped.malformed > 0 {
            lines.append("  skipped: \(skipped.tooShort) too short, \(skipped.malformed) malformed packets")
        }
        if !summary.findings.isEmpty {
            lines.append("  findings: " + summary.findings.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                .joined(separator: ", "))
        }
        for warning in summary.warnings { lines.append("  warning: \(warning)") }
        let written = summary.outputs.sorted { $0.key < $1.key }.map(\.value)
        if !written.isEmpty { lines.append("  wrote: " + written.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}
