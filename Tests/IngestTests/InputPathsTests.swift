import Foundation
import Testing

@testable import Ingest

@Suite struct InputPathsTests {
    @Test func directoriesExpandSortedAndPatternsMatch() throws {
        let first = try CaptureFixture.write([1], name: "b.pcap")
        let directory = (first as NSString).deletingLastPathComponent
        for name in ["a.pcap", "c.pcapng", ".hidden"] { try Data([1]).write(to: URL(fileURLWithPath: directory + "/" + name)) }
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        try Data([1]).write(to: URL(fileURLWithPath: directory + "/sub/d.pcap"))
        #expect(try InputPaths.expand([directory]) == ["a.pcap", "b.pcap", "c.pcapng", "sub/d.pcap"].map { directory + "/" + $0 })
        #expect(try InputPaths.expand([directory + "/*.pcap", directory + "/a.pcap"]) == [directory + "/a.pcap", directory + "/b.pcap"])
        let error = #expect(throws: InputError.self) { try InputPaths.expand([directory + "/missing.pcap"]) }
        #expect(error?.description == "\(directory)/missing.pcap: read error at byte 0: no such file or directory")
    }
}
