import FlowModel
import Foundation
import Ingest
import Testing

/// Files of raw NetFlow/IPFIX datagrams, and telling every input kind apart by content.
@Suite("Datagram files and input detection")
struct DatagramFileTests {
    static var v9Datagrams: [[UInt8]] {
        let template = ExportFixtures.set(0, ExportFixtures.templateRecord(256, ExportFixtures.v9Fields))
        return [ExportFixtures.v9(sets: [template]),
                ExportFixtures.v9(sets: [ExportFixtures.set(256, ExportFixtures.v9Record(srcPort: 1) + ExportFixtures.v9Record(srcPort: 2))])]
    }

    static func readAll(_ bytes: [UInt8]) throws -> (FlowBatch, DatagramFileReader) {
        let path = try NfdumpFileBuilder.write(bytes, name: "exports.bin")
        defer { NfdumpFileBuilder.remove(path) }  // the mapping stays valid after the unlink
        let reader = try DatagramFileReader(path: path)
        var batch = FlowBatch()
        while reader.next(into: &batch, maximumDatagrams: 1) {}
        return (batch, reader)
    }

    @Test("length-prefixed v9 datagrams")
    func lengthPrefixed() throws {
        let (batch, reader) = try Self.readAll(ExportFixtures.lengthPrefixed(Self.v9Datagrams))
        #expect(reader.layout == .lengthPrefixed)
        #expect(batch.count == 2 && reader.decoder.counters.containers == 2)
        #expect(reader.warnings.isEmpty)
    }

    @Test("concatenated v5 and IPFIX messages")
    func concatenated() throws {
        let ipfix = ExportFixtures.ipfix(sets: [ExportFixtures.ipfixTemplate300(),
                                                ExportFixtures.set(300, ExportFixtures.ipfixRecord300(nameLength: 4))])
        let (batch, reader) = try Self.readAll(ExportFixtures.v5(count: 2) + ipfix + ExportFixtures.v5(count: 1))
        #expect(reader.layout == .concatenated)
        #expect(batch.count == 4)
        #expect(reader.decoder.formatName == "netflow-v5+ipfix")
    }

    @Test("every truncation of a datagram file ends with a warning, never a trap")
    func truncations() throws {
        let bytes = ExportFixtures.lengthPrefixed(Self.v9Datagrams)
        let firstEnd = 4 + Self.v9Datagrams[0].count
        for cut in 8..<bytes.count where cut != firstEnd {
            do {
                let (batch, reader) = try Self.readAll(Array(bytes[..<cut]))
                #expect(batch.isEmpty, "cut at \(cut)")
                #expect(reader.warnings.count == 1, "cut at \(cut)")
            } catch {
                Issue.record("cut at \(cut): \(error)")
            }
        }
    }

    @Test("something else is not a datagram file")
    func notDatagrams() throws {
        #expect(throws: ParseError.self) { try Self.readAll([1, 2, 3, 4, 5, 6, 7, 8, 9]) }
    }

    @Test("input kinds are told apart by content, and --input-format overrides")
    func detection() throws {
        let nfdump = try NfdumpFileBuilder.write(NfdumpFileBuilder(compression: .lz4, blocks: [NfdumpFileBuilder.sampleRecords(2)]).build())
        let datagrams = try NfdumpFileBuilder.write(ExportFixtures.lengthPrefixed(Self.v9Datagrams))
        defer { NfdumpFileBuilder.remove(nfdump); NfdumpFileBuilder.remove(datagrams) }
        #expect(try InputKind.detect(path: nfdump, format: .auto) == .nfdump)
        #expect(try InputKind.detect(path: datagrams, format: .auto) == .datagrams)
        #expect(try InputKind.detect(path: datagrams, format: .pcap) == .capture)
        if SharedCaptures.exists("flows/wire_exports.pcap") {
            let exports = SharedCaptures.directory.appendingPathComponent("flows/wire_exports.pcap").path
            let packets = SharedCaptures.directory.appendingPathComponent("flows/lo.pcap").path
            #expect(try InputKind.detect(path: exports, format: .auto) == .exportCapture)
            #expect(try InputKind.detect(path: packets, format: .auto) == .capture)
            #expect(try InputKind.detect(path: packets, format: .netflowPcap) == .exportCapture)
        }
    }
}
