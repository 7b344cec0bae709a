import Foundation

/// The real captures in `../shared/captures` (beside the project), which tests skip without.
enum SharedCaptures {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/captures")

    static var available: Bool { FileManager.default.fileExists(atPath: directory.path) }

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The project's root directory.
    static let projectRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// An independent walk over a little- or big-endian classic pcap: the totals `capinfos` reports.
struct PcapTotals: Equatable {
    var records: UInt64 = 0
    var wireBytes: UInt64 = 0
    /// Each record's bytes (header included), for splitting files.
    var recordRanges: [Range<Int>] = []
    var header: Data = Data()

    init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let bytes = [UInt8](data)
        let swapped = bytes[0] == 0xA1
        func u32(_ at: Int) -> UInt32 {
            let value = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            return swapped ? value.byteSwapped : value
        }
        header = data.prefix(24)
        var offset = 24
        while offset + 16 <= bytes.count {
            let captured = Int(u32(offset + 8)), original = u32(offset + 12)
            recordRanges.append(offset..<(offset + 16 + captured))
            records += 1
            wireBytes += UInt64(max(original, UInt32(captured)))
            offset += 16 + captured
        }
    }
}
