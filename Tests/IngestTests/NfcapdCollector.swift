import Foundation

/// Runs the installed nfdump tools as references: sends a capture's NetFlow/IPFIX payloads to a private
/// `nfcapd` over loopback UDP and reads back `nfdump -I`'s totals. Every helper returns `nil` when the
/// tools are missing, so tests fall back to recorded figures.
enum NfcapdCollector {
    static func tool(_ name: String) -> String? {
        for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        return nil
    }

    /// Runs `path` with `arguments`; returns stdout.
    @discardableResult
    static func run(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["TZ": "UTC"]) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// `nfdump -I` totals (flows, packets, bytes) of a file or directory.
    static func summary(_ path: String, directory: Bool) throws -> (UInt64, UInt64, UInt64)? {
        guard let nfdump = tool("nfdump") else { return nil }
        let text = try run(nfdump, [directory ? "-R" : "-r", path, "-I"])
        func value(_ key: String) -> UInt64? {
            text.split(separator: "\n").first { $0.hasPrefix("\(key): ") }.flatMap { UInt64($0.dropFirst(key.count + 2)) }
        }
        guard let flows = value("Flows"), let packets = value("Packets"), let bytes = value("Bytes") else { return nil }
        return (flows, packets, bytes)
    }

    /// The UDP payloads of export messages in a little-endian Ethernet/IPv4 pcap, in order.
    static func exportPayloads(_ path: String) throws -> [Data] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let bytes = [UInt8](data)
        guard bytes.count >= 24, bytes[0] == 0xD4, bytes[20] == 1 else { return [] }
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        func be16(_ at: Int) -> Int { Int(bytes[at]) << 8 | Int(bytes[at + 1]) }
        var payloads: [Data] = []
        var offset = 24
        while offset + 16 <= bytes.count {
            let captured = u32(offset + 8), frame = offset + 16
            offset = frame + captured
            guard captured > 42, be16(frame + 12) == 0x0800, bytes[frame + 23] == 17 else { continue }
            let ip = frame + 14, udp = ip + Int(bytes[ip] & 0x0F) * 4
            let end = min(ip + be16(ip + 2), offset)
            guard udp + 10 <= end, [5, 9, 10].contains(be16(udp + 8)) else { continue }
            payloads.append(Data(bytes[(udp + 8)..<end]))
        }
        return payloads
    }

    /// Collects `capture`'s export payloads with a fresh nfcapd; returns `nfdump -I`'s totals.
    static func collect(capture: String) throws -> (UInt64, UInt64, UInt64)? {
        guard let nfcapd = tool("nfcapd"), tool("nfdump") != nil else { return nil }
        let payloads = try exportPayloads(capture)
        guard !payloads.isEmpty else { return nil }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("medflow-nfcapd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = 20_000 + Int.random(in: 0..<20_000)
        guard let pid = Spawn.start(nfcapd, ["-w", dir.path, "-b", "127.0.0.1", "-p", "\(port)", "-t", "3600"]) else {
            return nil
        }
        Spawn.waitUntilListening(port: port)
        UDPSender.send(payloads, port: UInt16(port))
        Spawn.waitUntilDrained(port: port)
        Spawn.stop(pid)
        return try summary(dir.path, directory: true)
    }
}
