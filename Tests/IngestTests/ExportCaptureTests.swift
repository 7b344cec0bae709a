import FlowModel
import Foundation
import Ingest
import Testing

/// NetFlow/IPFIX decoded from captures of the export traffic itself.
///
/// The references are what `nfcapd` 1.7.1 stored when the UDP payloads of each capture were sent to it
/// in capture order (`nfdump -R DIR -I`); the test regenerates them when nfcapd is installed
/// (``NfcapdCollector``) and otherwise uses these figures, taken once that way:
/// - `wire_exports.pcap` (softflowd v5, v9, IPFIX `-A milli`, nfreplay v9; 5 datagrams): 74 flows,
///   558 packets, 2 445 632 bytes;
/// - `export_v9_v10.pcap` (softflowd v9 and IPFIX with an options template; 3 datagrams): 57 flows,
///   423 packets, 1 834 692 bytes.
@Suite("Export capture")
struct ExportCaptureTests {
    struct Reference: Sendable, CustomTestStringConvertible {
        var name: String
        var flows: UInt64
        var packets: UInt64
        var bytes: UInt64
        var testDescription: String { name }
    }

    static let references = [
        Reference(name: "wire_exports.pcap", flows: 74, packets: 558, bytes: 2_445_632),
        Reference(name: "export_v9_v10.pcap", flows: 57, packets: 423, bytes: 1_834_692),
    ]

    static func decode(_ path: String, port: UInt16? = nil) throws -> (FlowBatch, ExportCaptureReader) {
        let reader = try ExportCaptureReader(path: path, port: port)
        var batch = FlowBatch()
        while try reader.next(into: &batch) {}
        return (batch, reader)
    }

    @Test("totals equal nfcapd collecting the same traffic", .enabled(if: SharedCaptures.exists("flows/wire_exports.pcap")),
          arguments: references)
    func totals(reference: Reference) throws {
        let path = SharedCaptures.directory.appendingPathComponent("flows/\(reference.name)").path
        let (batch, reader) = try Self.decode(path)
        let counters = reader.decoder.counters
        var expected = (reference.flows, reference.packets, reference.bytes)
        if let live = try NfcapdCollector.collect(capture: path) { expected = live }
        #expect(counters.flows == expected.0)
        #expect(counters.packets == expected.1)
        #expect(counters.bytes == expected.2)
        #expect(UInt64(batch.count) == counters.flows)
        #expect(counters.malformedRecords == 0 && counters.droppedDataSets == 0)
        for flow in batch.records { #expect(flow.firstSeen <= flow.lastSeen) }
    }

    @Test("an explicit port reads only that port's datagrams", .enabled(if: SharedCaptures.exists("flows/wire_exports.pcap")))
    func explicitPort() throws {
        let path = SharedCaptures.directory.appendingPathComponent("flows/wire_exports.pcap").path
        let (_, auto) = try Self.decode(path)
        #expect(auto.exportPorts.count >= 2)
        let port = try #require(auto.exportPorts.first)
        let (batch, reader) = try Self.decode(path, port: port)
        #expect(reader.exportPorts == [port])
        #expect(reader.datagrams >= 1 && reader.datagrams < auto.datagrams)
        #expect(batch.count > 0 && batch.count < Int(auto.decoder.counters.flows))
    }

    @Test("a capture without export traffic yields no flows")
    func noExports() throws {
        let path = SharedCaptures.directory.appendingPathComponent("flows/lo.pcap").path
        try #require(FileManager.default.fileExists(atPath: path))
        let (batch, reader) = try Self.decode(path)
        #expect(batch.isEmpty)
        #expect(reader.datagrams == 0)
        #expect(reader.captureRecords == 141)
    }
}
