internal import Foundation
import FlowModel
import Ingest

/// One findings file of `medflow analyze --out DIR`: NDJSON lines, or CSV with a header row (RFC 4180
/// quoting, as medflow writes it), plain, zstd or LZ4.
struct FindingsFile {
    /// The path read.
    let path: String
    /// The lines that parsed as JSON objects.
    let records: [[String: Any]]
    /// Lines that were not JSON objects (counted and skipped).
    let skippedLines: Int

    /// The findings file of `detector` (`beacons`, `egress`, `fanout`) in `directory`, or `nil` when the
    /// detector did not write one (it was not run).
    static func locate(_ detector: String, in directory: String) -> String? {
        for suffix in [".ndjson.zst", ".ndjson.lz4", ".ndjson", ".csv.zst", ".csv.lz4", ".csv"] {
            let path = (directory as NSString).appendingPathComponent(detector + suffix)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    /// Reads every line of `path`.
    ///
    /// - Throws: ``InputError`` when the file cannot be read or its compression is corrupt.
    init(path: String) throws(InputError) {
        self.path = path
        let isCSV = (path as NSString).lastPathComponent.lowercased().contains(".csv")
        var header: [String]?
        var lines: [[String: Any]] = []
        var skipped = 0
        var pending: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        do throws(ParseError) {
            var stream = try CompressionFormat.open(path: path)
            while true {
                let count = try stream.read(into: buffer)
                if count == 0 { break }
                pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[..<count]))
                var lineStart = 0
                while let newline = pending[lineStart...].firstIndex(of: 0x0A) {
                    Self.parse(pending[lineStart..<newline], csv: isCSV, header: &header, into: &lines, skipped: &skipped)
                    lineStart = newline + 1
                }
                pending.removeFirst(lineStart)
            }
        } catch {
            throw InputError(path: path, underlying: error)
        }
        Self.parse(pending[...], csv: isCSV, header: &header, into: &lines, skipped: &skipped)
        records = lines
        skippedLines = skipped
    }

    private static func parse(_ line: ArraySlice<UInt8>, csv: Bool, header: inout [String]?,
                              into lines: inout [[String: Any]], skipped: inout Int) {
        guard line.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) else { return }
        if csv {
            let fields = csvFields(String(decoding: line, as: UTF8.self))
            guard let names = header else {
                header = fields
                return
            }
            guard fields.count == names.count else {
                skipped += 1
                return
            }
            var object: [String: Any] = [:]
            for (name, text) in zip(names, fields) { object[name] = typed(text) }
            lines.append(object)
        } else if let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] {
            lines.append(object)
        } else {
            skipped += 1
        }
    }

    /// The fields of one CSV line: commas separate, double quotes enclose, `""` is a quote.
    static func csvFields(_ line: String) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var previousWasQuote = false
        for character in line where character != "\r" {
            if quoted {
                if character == "\"" { quoted = false; previousWasQuote = true } else { field.append(character) }
            } else if character == "\"" {
                if previousWasQuote { field.append("\"") }
                quoted = true
                previousWasQuote = false
            } else if character == "," {
                fields.append(field)
                field = ""
                previousWasQuote = false
            } else {
                field.append(character)
                previousWasQuote = false
            }
        }
        fields.append(field)
        return fields
    }

    /// A CSV value as JSON would have typed it: booleans, numbers, empty as null, else text.
    private static func typed(_ text: String) -> Any {
        switch text {
        case "": return NSNull()
        case "true": return true
        case "false": return false
        default:
            if let integer = Int(text) { return NSNumber(value: integer) }
            if let number = Double(text), !text.contains(":") { return NSNumber(value: number) }
            return text
        }
    }
}

/// The key findings and truth are matched by: (src, dst, dport, proto), or (src, dport, proto) for fan-out.
struct FindingKey: Hashable, Comparable, CustomStringConvertible {
    var src: String
    var dst: String
    var dport: Int
    var proto: String

    /// `src → dst:dport/proto`, or `src → *:dport/proto` for fan-out keys.
    var description: String { "\(src) → \(dst.isEmpty ? "*" : dst):\(dport)/\(proto)" }

    static func < (lhs: FindingKey, rhs: FindingKey) -> Bool { lhs.description < rhs.description }

    /// The key of a findings line, with addresses normalised and `proto` as a name; `nil` when fields are missing.
    init?(_ record: [String: Any], withDestination: Bool = true) {
        guard let src = record["src"] as? String, let dport = (record["dport"] as? NSNumber)?.intValue,
              let proto = Self.protoName(record["proto"]) else { return nil }
        var dst = ""
        if withDestination {
            guard let value = record["dst"] as? String else { return nil }
            dst = Self.normalise(value)
        }
        self.init(src: Self.normalise(src), dst: dst, dport: dport, proto: proto)
    }

    init(src: String, dst: String, dport: Int, proto: String) {
        self.src = Self.normalise(src)
        self.dst = dst.isEmpty ? "" : Self.normalise(dst)
        self.dport = dport
        self.proto = proto.lowercased()
    }

    /// `"tcp"` stays; the number 6 becomes `"tcp"`, 47 stays `"47"`.
    static func protoName(_ value: Any?) -> String? {
        if let text = value as? String { return text.lowercased() }
        if let number = value as? NSNumber { return TransportProtocol.name(UInt8(clamping: number.intValue)).lowercased() }
        return nil
    }

    /// The canonical text of an address (so `fd00::0:1` and `fd00::1` match).
    static func normalise(_ address: String) -> String {
        IPAddress(address)?.description ?? address
    }
}
