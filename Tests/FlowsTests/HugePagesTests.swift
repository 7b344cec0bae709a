import Foundation
import Testing

@testable import Flows

/// When the flow table asks for transparent huge pages.
@Suite struct HugePagesTests {
    /// Bits 1, 2, 5 and 7 (a Firecracker balloon: stats, deflate on OOM, free page reporting, …), then
    /// the transport bits far out, as sysfs prints them.
    private static let reportingFeatures = "0110010100000000000000000000000010000000" + String(repeating: "0", count: 88)
    private static let plainFeatures = "0110000100000000000000000000000010000000" + String(repeating: "0", count: 88)

    @Test func aBalloonThatReportsFreePagesIsRecognised() {
        #expect(HugePages.reportsFreePages(device: "0x0005\n", features: Self.reportingFeatures + "\n"))
        #expect(!HugePages.reportsFreePages(device: "0x0005\n", features: Self.plainFeatures + "\n"))
    }

    @Test func otherDevicesWithTheSameBitAreNot() {
        // Bit 5 means something else on a block (0x0002) or network (0x0001) device.
        #expect(!HugePages.reportsFreePages(device: "0x0002\n", features: Self.reportingFeatures))
        #expect(!HugePages.reportsFreePages(device: "0x0001", features: Self.reportingFeatures))
    }

    @Test func malformedSysfsTextIsNotAReport() {
        #expect(!HugePages.reportsFreePages(device: "", features: Self.reportingFeatures))
        #expect(!HugePages.reportsFreePages(device: "5", features: Self.reportingFeatures))
        #expect(!HugePages.reportsFreePages(device: "0x0005", features: "01100"))
        #expect(!HugePages.reportsFreePages(device: "0x0005", features: ""))
    }

    @Test func theDecisionFollowsTheBalloonUnlessOverridden() {
        #expect(HugePages.decide(override: nil, reportingBalloon: false))
        #expect(!HugePages.decide(override: nil, reportingBalloon: true))
        #expect(HugePages.decide(override: "1", reportingBalloon: true))
        #expect(HugePages.decide(override: "ON", reportingBalloon: true))
        #expect(!HugePages.decide(override: "0", reportingBalloon: false))
        #expect(!HugePages.decide(override: "off", reportingBalloon: false))
        #expect(!HugePages.decide(override: "maybe", reportingBalloon: true))  // not a choice: the balloon decides
        #expect(HugePages.decide(override: "", reportingBalloon: false))
    }

    @Test func aDevicesDirectoryIsScanned() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hugepages-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        func device(_ name: String, id: String, features: String) throws {
            let directory = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try (id + "\n").write(to: directory.appendingPathComponent("device"), atomically: true, encoding: .utf8)
            try (features + "\n").write(to: directory.appendingPathComponent("features"), atomically: true, encoding: .utf8)
        }
        #expect(!HugePages.virtioBalloonReportsFreePages(devices: root.path))  // not there yet
        try device("virtio0", id: "0x0002", features: Self.reportingFeatures)
        try device("virtio1", id: "0x0005", features: Self.plainFeatures)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("virtio2"), withIntermediateDirectories: true)
        #expect(!HugePages.virtioBalloonReportsFreePages(devices: root.path))  // a balloon, but not reporting
        try device("virtio3", id: "0x0005", features: Self.reportingFeatures)
        #expect(HugePages.virtioBalloonReportsFreePages(devices: root.path))
    }

    #if os(Linux)
    /// The kernel's flags of the mapping that holds `address` (`VmFlags` in /proc/self/smaps: `hg` is
    /// `MADV_HUGEPAGE`), or nil where it is not found.
    private static func vmFlags(of address: UnsafeMutableRawPointer) throws -> [Substring]? {
        // Read to the end: /proc files report no size.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        let target = UInt(bitPattern: address)
        var inside = false
        for line in smaps.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let space = line.firstIndex(of: " "), dash < space,
               let low = UInt(line[..<dash], radix: 16), let high = UInt(line[line.index(after: dash)..<space], radix: 16) {
                inside = low <= target && target < high
            } else if inside && line.hasPrefix("VmFlags:") {
                return line.dropFirst("VmFlags:".count).split(separator: " ")
            }
        }
        return nil
    }

    @Test func aLargeTableMappingAsksForHugePagesExactlyWhenWanted() throws {
        let memory = LargeMemory(byteCount: 8 << 20)
        defer { memory.deallocate() }
        let flags = try #require(try Self.vmFlags(of: memory.base))
        // A kernel built without transparent huge pages refuses the advice.
        let kernelHasThem = FileManager.default.fileExists(atPath: "/sys/kernel/mm/transparent_hugepage/enabled")
        #expect(flags.contains("hg") == (HugePages.wanted && kernelHasThem))
    }
    #endif
}
