import Foundation
import Ingest
import Testing

@testable import Synth

/// `datasets/hospital-2h.*` is exactly what `scripts/make-hospital-sample.sh` generates: the generator
/// is deterministic across builds, and a change to it that forgets to regenerate the sample fails here.
@Suite struct BundledSampleTests {
    static let stem = SharedCaptures.projectRoot.appendingPathComponent("datasets/hospital-2h").path

    /// Every decompressed byte of a file (any compression medflow reads).
    static func contents(_ path: String) throws -> [UInt8] {
        var stream = try CompressionFormat.open(path: path)
        var bytes: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try stream.read(into: buffer)
            if count == 0 { return bytes }
            bytes += UnsafeRawBufferPointer(rebasing: buffer[..<count])
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: stem + ".pcap.zst"), "the sample is absent"))
    func regeneratingTheSampleGivesTheSameBytes() throws {
        let directory = NSTemporaryDirectory() + "medflow-sample-\(UUID().uuidString)"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let start = SynthOptions.defaultStart + 6 * 3_600_000_000_000
        let result = try Synthesizer.run(SynthOptions(scenario: .hospital, hours: 2, seed: 7,
                                                      output: directory + "/hospital-2h.pcap.zst", start: start,
                                                      uploadBytes: 52_000_000, workstations: 30))
        #expect(try Self.contents(result.capturePaths[0]) == Self.contents(Self.stem + ".pcap.zst"))
        for suffix in [".truth.json", ".policy.yaml"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/hospital-2h" + suffix))
                == Data(contentsOf: URL(fileURLWithPath: Self.stem + suffix)))
        }
    }
}
