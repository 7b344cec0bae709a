import FlowModel
import Foundation
import Ingest
import Testing

/// nfdump archives generated here from `lo.pcap` by the peer tools — nfpcapd directly, and softflowd
/// exporting v5, v9 and IPFIX into nfcapd — in every compression nfdump 1.7.1 writes. medflow's record,
/// packet and byte totals must equal `nfdump -I`'s, and each record's fields `nfdump -o csv`'s. Skipped
/// when the tools are not installed.
@Suite("Peer-made nfdump archives", .serialized,
       .enabled(if: NfcapdCollector.tool("nfpcapd") != nil && NfcapdCollector.tool("softflowd") != nil
                && SharedCaptures.exists("flows/lo.pcap"), "nfpcapd/softflowd/nfcapd or lo.pcap missing"))
struct PeerArchiveTests {
    /// nfcapd/nfpcapd compression flags in 1.7.1.
    static let compressions: [(String, [String])] = [("none", []), ("lzo", ["-z"]), ("lz4", ["-y"]), ("bz2", ["-j"])]
    static var capture: String { SharedCaptures.directory.appendingPathComponent("flows/lo.pcap").path }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("medflow-peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Reads every file of `dir` with medflow: flows (file order) and counters.
    static func medflowTotals(_ dir: URL) throws -> ([FlowRecord], FlowInputCounters) {
        var records: [FlowRecord] = []
        var counters = FlowInputCounters()
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("nfcapd.") }.sorted()
        for name in names {
            let file = try NfdumpFile(path: dir.appendingPathComponent(name).path)
            let (batch, fileCounters) = file.decodeAll()
            #expect(file.warnings.isEmpty, "\(name): \(file.warnings)")
            records += batch.records
            counters.merge(fileCounters)
        }
        return (records, counters)
    }

    /// Compares totals with `nfdump -I` and every record with `nfdump -o csv` (file order).
    static func compare(_ dir: URL, label: String) throws {
        let (records, counters) = try medflowTotals(dir)
        let reference = try #require(try NfcapdCollector.summary(dir.path, directory: true), "\(label): nfdump -I")
        #expect(counters.flows == reference.0, "\(label): flows")
        #expect(counters.packets == reference.1, "\(label): packets")
        #expect(counters.bytes == reference.2, "\(label): bytes")
        #expect(reference.0 > 0, "\(label): empty archive")
        let csv = try NfcapdCollector.run(NfcapdCollector.tool("nfdump")!, ["-R", dir.path, "-q", "-o", "csv"])
        let rows = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            .filter { $0.count > 13 && $0[0].hasPrefix("20") }
        #expect(rows.count == records.count, "\(label): csv rows")
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        for (row, flow) in zip(rows, records) {
            #expect(IPAddress(row[3]) == flow.src && IPAddress(row[4]) == flow.dst, "\(label): \(row[3]) → \(row[4])")
            #expect(UInt8(row[7] == "TCP" ? 6 : row[7] == "UDP" ? 17 : row[7] == "ICMP" ? 1 : row[7] == "ICMP6" ? 58 : 255) == flow.proto)
            if flow.proto == 6 || flow.proto == 17 {
                #expect(UInt16(row[5]) == flow.srcPort && UInt16(row[6]) == flow.dstPort, "\(label): ports")
            }
            #expect(UInt64(row[11]) == flow.packetsOut && UInt64(row[12]) == flow.bytesOut, "\(label): counts")
            if let start = formatter.date(from: row[0]) {
                #expect(Int64(start.timeIntervalSince1970) == flow.firstSeen / 1_000_000_000, "\(label): ts \(row[0])")
            }
        }
    }

    @Test("nfpcapd archives", arguments: compressions.map(\.0))
    func nfpcapd(compression: String) throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let flags = Self.compressions.first { $0.0 == compression }!.1
        if compression == "bz2" {
            // nfpcapd 1.7.1's `-j` wrongly demands an argument: write plain, then recompress with `nfdump -J 2`.
            try NfcapdCollector.run(NfcapdCollector.tool("nfpcapd")!, ["-r", Self.capture, "-w", dir.path])
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasPrefix("nfcapd.") {
                try NfcapdCollector.run(NfcapdCollector.tool("nfdump")!, ["-r", dir.appendingPathComponent(name).path, "-J", "2"])
                let file = try NfdumpFile(path: dir.appendingPathComponent(name).path)
                #expect(file.header.compression == .bz2)
            }
        } else {
            try NfcapdCollector.run(NfcapdCollector.tool("nfpcapd")!, ["-r", Self.capture, "-w", dir.path] + flags)
        }
        try Self.compare(dir, label: "nfpcapd \(compression)")
    }

    @Test("softflowd → nfcapd archives", arguments: ["5", "9", "10"], compressions.map(\.0))
    func softflowd(version: String, compression: String) throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let flags = Self.compressions.first { $0.0 == compression }!.1
        let port = 30_000 + Int.random(in: 0..<20_000)
        let pid = try #require(Spawn.start(NfcapdCollector.tool("nfcapd")!,
                                           ["-w", dir.path, "-b", "127.0.0.1", "-p", "\(port)", "-t", "3600"] + flags))
        // Fixed sleeps lost the whole export when a loaded machine started nfcapd late: wait for its socket.
        Spawn.waitUntilListening(port: port)
        var arguments = ["-r", Self.capture, "-n", "127.0.0.1:\(port)", "-v", version]
        if version != "5" { arguments += ["-6", "-a"] }
        if version == "10" { arguments += ["-A", "milli"] }
        try NfcapdCollector.run(NfcapdCollector.tool("softflowd")!, arguments)
        Spawn.waitUntilDrained(port: port)
        Spawn.stop(pid)
        try Self.compare(dir, label: "softflowd v\(version) \(compression)")
    }
}
