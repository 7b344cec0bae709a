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
}
