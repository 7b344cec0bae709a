import FlowModel
import Foundation
import Output
import Testing

@testable import MedFlow

@Suite("Finding writer")
struct FindingWriterTests {
    /// Writes `count` records of two fields through `write` into a fresh uncompressed file and returns its bytes.
    static func written(_ format: OutputFormat, count: Int,
                        _ write: (FindingWriter, Int) throws -> Void) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("finding-writer-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("out").path
        let writer = try FindingWriter(path: path, format: format, compression: .none, fields: ["index", "address"])
        try write(writer, count)
        try writer.close()
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test("records encoded side by side are the bytes of one record after another",
          arguments: [OutputFormat.ndjson, .csv], [0, 5, 2 * FindingWriter.parallelHalf - 1, 2 * FindingWriter.parallelHalf + 1,
                                                   5 * FindingWriter.parallelHalf + 7])
    func sideBySideEqualsInTurn(format: OutputFormat, count: Int) throws {
        let body: @Sendable (inout RecordEncoder, Int) -> Void = { encoder, i in
            encoder.integer("index", UInt64(i))
            encoder.address("address", IPAddress(v4: UInt32(truncatingIfNeeded: 0x0A00_0000 &+ i)))
        }
        let inTurn = try Self.written(format, count: count) { writer, count in
            for i in 0..<count { try writer.record { body(&$0, i) } }
        }
        let sideBySide = try Self.written(format, count: count) { writer, count in
            try writer.records(count: count, body)
        }
        #expect(sideBySide == inTurn)
        let lines = inTurn.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count - 1
        #expect(lines == count + (format == .csv ? 1 : 0))
    }
}
