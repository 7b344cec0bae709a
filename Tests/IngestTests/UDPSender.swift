#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Sends datagrams to 127.0.0.1 (for feeding a reference nfcapd).
enum UDPSender {
    static func send(_ payloads: [Data], port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        for payload in payloads {
            payload.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        _ = sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            usleep(2000)
        }
    }
}

/// Starts and stops a background tool with an empty signal mask and default handlers (Foundation's
/// `Process` passes on the test runner's blocked signals, so `nfcapd` would never see SIGTERM).
enum Spawn {
    /// Starts `path` with `arguments`, output to /dev/null; returns its pid.
    static func start(_ path: String, _ arguments: [String]) -> pid_t? {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, &actions, &attributes, argv, environ) == 0 else { return nil }
        return pid
    }

    /// Bytes waiting in the receive queue of the UDP socket bound to 127.0.0.1:`port` (Linux's
    /// /proc/net/udp), or `nil` when none is bound (or the table cannot be read).
    static func udpReceiveQueue(port: Int) -> Int? {
        guard let table = try? String(contentsOfFile: "/proc/net/udp", encoding: .utf8) else { return nil }
        let local = String(format: "0100007F:%04X", port)
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[1] == local else { continue }
            let queues = fields[4].split(separator: ":")  // tx_queue:rx_queue, hex
            return queues.count == 2 ? Int(queues[1], radix: 16) : 0
        }
        return nil
    }

    /// Waits until a UDP socket is bound to 127.0.0.1:`port` (a collector that has started), up to
    /// `timeout` seconds; without /proc it waits a fixed half second.
    static func waitUntilListening(port: Int, timeout: Double = 10) {
        guard FileManager.default.fileExists(atPath: "/proc/net/udp") else { return Thread.sleep(forTimeInterval: 0.5) }
        let deadline = Date().addingTimeInterval(timeout)
        while udpReceiveQueue(port: port) == nil && Date() < deadline { usleep(20_000) }
    }

    /// Waits until the collector on `port` has read every datagram sent to it (its receive queue is
    /// empty), up to `timeout` seconds, then a little longer for it to process the last one.
    static func waitUntilDrained(port: Int, timeout: Double = 10) {
        let deadline = Date().addingTimeInterval(timeout)
        while (udpReceiveQueue(port: port) ?? 0) > 0 && Date() < deadline { usleep(20_000) }
        Thread.sleep(forTimeInterval: 0.3)
    }

    /// Sends SIGTERM and waits (up to 5 s, then SIGKILL).
    static func stop(_ pid: pid_t) {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<100 {
            if waitpid(pid, &status, WNOHANG) == pid { return }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }
}
