internal import Foundation

/// Whether the flow table's large mappings ask for transparent huge pages.
///
/// With 2 MB pages the table's random updates miss the TLB less: on the 10 M-packet bulk run, back to
/// back, 4 KB pages cost 4–6 % (30 alternating pairs). But a huge page needs a free 2 MB block, and in a
/// virtual machine whose balloon reports free pages to the host (virtio `VIRTIO_BALLOON_F_REPORTING`,
/// as Firecracker VMs do), every such block left free for two seconds has been handed back to the host:
/// the first touch of each then waits for the host to fault it in again. Measured on such a VM after
/// 40 s idle: 3–9 ms per MB touched through huge pages, against 0.6 ms per MB through 4 KB pages (which
/// come from smaller free blocks the guest keeps), so the 10 M-packet run's 40 MB of table took 0.1–0.4 s
/// longer than the same table in 4 KB pages, and a run that follows other work always pays it.
///
/// So huge pages are asked for unless such a balloon is present. `MEDFLOW_HUGE_PAGES=1` (or `0`) in the
/// environment decides instead: a run over many archives on such a VM pays the faults once and gains on
/// every packet after.
public enum HugePages {
    /// Whether they are asked for; decided once per process (`summary.json` reports it as the option
    /// `huge_pages`).
    public static let wanted: Bool = decide(
        override: ProcessInfo.processInfo.environment["MEDFLOW_HUGE_PAGES"],
        reportingBalloon: virtioBalloonReportsFreePages(devices: "/sys/bus/virtio/devices"))

    /// The decision: `override` (`1`/`on`/`true` or `0`/`off`/`false`) if it is one of those, else huge
    /// pages unless the balloon reports free pages.
    static func decide(override: String?, reportingBalloon: Bool) -> Bool {
        switch override?.lowercased() {
        case "1", "on", "true", "yes": return true
        case "0", "off", "false", "no": return false
        default: return !reportingBalloon
        }
    }

    /// The virtio device id of a memory balloon.
    static let balloonDeviceID = 5
    /// The feature bit a balloon that reports free pages has negotiated (`VIRTIO_BALLOON_F_REPORTING`).
    static let reportingFeatureBit = 5

    /// Whether a virtio device under `devices` (`/sys/bus/virtio/devices`) is a balloon that negotiated
    /// free page reporting; `false` where there is no such directory.
    static func virtioBalloonReportsFreePages(devices: String) -> Bool {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: devices) else { return false }
        return names.contains { name in
            let directory = devices + "/" + name
            guard let device = try? String(contentsOfFile: directory + "/device", encoding: .utf8),
                  let features = try? String(contentsOfFile: directory + "/features", encoding: .utf8) else { return false }
            return reportsFreePages(device: device, features: features)
        }
    }

    /// Whether sysfs's `device` text (`0x0005`) and `features` text (one `0`/`1` per bit, bit 0 first) are
    /// those of a balloon that reports free pages.
    static func reportsFreePages(device: String, features: String) -> Bool {
        let id = device.trimmingCharacters(in: .whitespacesAndNewlines)
        guard id.hasPrefix("0x"), Int(id.dropFirst(2), radix: 16) == balloonDeviceID else { return false }
        let bits = Array(features.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
        return bits.count > reportingFeatureBit && bits[reportingFeatureBit] == UInt8(ascii: "1")
    }
}
