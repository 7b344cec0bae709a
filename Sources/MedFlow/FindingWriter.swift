import FlowModel
import Output
internal import Dispatch

/// Writes findings to one result file, encoded and compressed as the run asks; shared by the
/// detector sinks.
final class FindingWriter {
    private let file: OutputFile
    private var encoder: RecordEncoder

    /// Creates the file (under a temporary name until ``close()``) and writes the CSV header.
    init(path: String, format: OutputFormat, compression: OutputCompression, fields: [String]) throws(AnalysisError) {
        do { file = try OutputFile(path: path, compression: compression, backgroundCompression: true) } catch {
            throw .output(error)
        }
        encoder = RecordEncoder(format: format)
        encoder.header(fields)
    }

    /// The final path.
    var path: String { file.path }

    /// Encodes one record with `body`, flushing every MiB.
    func record(_ body: (inout RecordEncoder) -> Void) throws(AnalysisError) {
        encoder.beginRecord()
        body(&encoder)
        encoder.endRecord()
        if encoder.count >= 1 << 20 { try flush() }
    }

    /// Encodes records `0..<count`, record `i` with `body(&encoder, i)`, in order. Many records are encoded
    /// a round at a time, the round's two halves side by side into encoders of their own, then written in
    /// order: a file of tens of thousands of findings is encoded on the run's tail, where one core encoding
    /// alone left the other idle. The bytes are those of ``record(_:)`` called for each record in turn.
    func records(count: Int, _ body: @escaping @Sendable (inout RecordEncoder, Int) -> Void) throws(AnalysisError) {
        let half = Self.parallelHalf
        guard count >= 2 * half else {
            for i in 0..<count { try record { body(&$0, i) } }
            return
        }
        try flush()  // the header and anything before, in order
        let encoders = UnsafeMutableBufferPointer<RecordEncoder>.allocate(capacity: 2)
        _ = encoders.initialize(from: [RecordEncoder(format: encoder.format), RecordEncoder(format: encoder.format)])
        defer { encoders.deinitialize(); encoders.deallocate() }
        nonisolated(unsafe) let lanes = encoders  // invariant: task t uses lanes[t] only
        var start = 0
        while start < count {
            let round = start
            DispatchQueue.concurrentPerform(iterations: 2) { t in
                lanes[t].removeAll()
                let from = min(count, round + t * half), to = min(count, round + (t + 1) * half)
                for i in from..<to {
                    lanes[t].beginRecord()
                    body(&lanes[t], i)
                    lanes[t].endRecord()
                }
            }
            for t in 0..<2 { try write(encoders[t]) }
            start += 2 * half
        }
    }

    /// Records per half of a round of ``records(count:_:)`` (about 1.3 MB of egress NDJSON).
    static let parallelHalf = 4096

    /// Writes what is left and closes the file under its final name.
    func close() throws(AnalysisError) {
        try flush()
        do { try file.close() } catch { throw .output(error) }
    }

    private func flush() throws(AnalysisError) {
        try write(encoder)
        encoder.removeAll()
    }

    /// Writes what `encoded` holds to the file.
    private func write(_ encoded: RecordEncoder) throws(AnalysisError) {
        guard encoded.count > 0 else { return }
        do { try encoded.withBytes { bytes throws(OutputError) in try file.write(bytes) } } catch { throw .output(error) }
    }
}
