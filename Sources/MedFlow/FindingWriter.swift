import FlowModel
import Output

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

    /// Writes what is left and closes the file under its final name.
    func close() throws(AnalysisError) {
        try flush()
        do { try file.close() } catch { throw .output(error) }
    }

    private func flush() throws(AnalysisError) {
        guard encoder.count > 0 else { return }
        do { try encoder.withBytes { bytes throws(OutputError) in try file.write(bytes) } } catch { throw .output(error) }
        encoder.removeAll()
    }
}
