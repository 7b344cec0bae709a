public import FlowModel
public import Output

/// A consumer of finished flows: a result writer or a detector. Called by one thread at a time, in order;
/// different sinks may be called at the same time (the end-of-input flush reaches them side by side), so
/// sinks share no mutable state.
public protocol FlowSink: AnyObject {
    /// Takes the flows that ended in one pipeline step.
    func consume(_ flows: FlowBatch) throws(AnalysisError)
    /// Called once after the last flows; writers close their files here.
    func finish() throws(AnalysisError)
    /// Whether the sink wants each step's flows ordered by first-seen time (the flows file does, so that
    /// its lines within a step do not depend on the flow shards). Sinks whose results do not depend on
    /// the order within a batch say no (the default), and a run with only such sinks skips the sort.
    var wantsFirstSeenOrder: Bool { get }
    /// Into how many independent parts the sink splits a large batch (the end-of-input flush) for
    /// ``consume(_:part:)``, so that a sink with two unrelated detectors inside is not the one task the
    /// other cores wait for. 1 (the default): the batch goes to ``consume(_:)`` whole.
    var sideBySideParts: Int { get }
    /// Takes part `part` (`0..<sideBySideParts`) of the work of ``consume(_:)`` for `flows`. Every part is
    /// called once, possibly at the same time as the other parts; together they do what ``consume(_:)``
    /// does.
    func consume(_ flows: FlowBatch, part: Int) throws(AnalysisError)
}

extension FlowSink {
    /// No: the sink's results do not depend on the order of flows within a batch.
    public var wantsFirstSeenOrder: Bool { false }
    /// One part: the whole batch.
    public var sideBySideParts: Int { 1 }
    /// The whole of ``consume(_:)`` (the one part).
    public func consume(_ flows: FlowBatch, part: Int) throws(AnalysisError) { try consume(flows) }
}

/// Writes every flow to one file as NDJSON or CSV, compressed as asked.
public final class FlowFileWriter: FlowSink {
    private let file: OutputFile
    private var encoder: RecordEncoder
    /// The number of flows written.
    public private(set) var flowsWritten = 0

    /// Creates the file (under a temporary name until ``finish()``).
    ///
    /// - Parameters:
    ///   - path: The final path.
    ///   - format: NDJSON or CSV.
    ///   - compression: zstd, lz4 or none.
    public init(path: String, format: OutputFormat, compression: OutputCompression) throws(AnalysisError) {
        do {
            file = try OutputFile(path: path, compression: compression, backgroundCompression: true)
        } catch {
            throw .output(error)
        }
        encoder = RecordEncoder(format: format)
        encoder.header(FlowBatch.fieldNames)
    }

    /// The final path of the file.
    public var path: String { file.path }

    /// Yes: within a step, lines go out by first-seen time whatever the shard count.
    public var wantsFirstSeenOrder: Bool { true }

    /// Encodes and writes `flows`.
    public func consume(_ flows: FlowBatch) throws(AnalysisError) {
        flows.encode(into: &encoder)
        flowsWritten += flows.count
        if encoder.count >= 1 << 20 { try flush() }
    }

    /// Writes what is left and closes the file under its final name.
    public func finish() throws(AnalysisError) {
        try flush()
        do { try file.close() } catch { throw .output(error) }
    }

    private func flush() throws(AnalysisError) {
        guard encoder.count > 0 else { return }
        do { try encoder.withBytes { bytes throws(OutputError) in try file.write(bytes) } } catch { throw .output(error) }
        encoder.removeAll()
    }
}

/// A sink that also wants the A/AAAA answers of DNS responses seen in captures (to name destinations).
///
/// The pipeline reads DNS payloads only when at least one sink conforms, and hands each step's answers
/// to it before that step's flows.
public protocol DNSAnswerSink: AnyObject {
    /// Takes the DNS answers decoded in one pipeline step, in capture order per chunk.
    func consume(_ answers: [DNSAnswer])
}
