/// The capture file format `medflow synth` writes.
public enum CaptureFormat: String, Sendable, CaseIterable {
    /// Classic libpcap: 24-byte file header, 16-byte record headers.
    case pcap
    /// pcapng: section header, one Ethernet interface, enhanced packet blocks.
    case pcapng
}

/// Where a synthetic capture and its companions go, derived from the `-o` path.
///
/// `x.pcap.zst` gives the capture `x.pcap.zst` (or `x-0000.pcap.zst`, `x-0001.pcap.zst`, … when rotated),
/// the truth `x.truth.json` and the policy `x.policy.yaml` beside it.
public struct OutputNaming: Sendable, Equatable {
    /// The path without the capture and compression extensions (`dir/x`).
    public var stem: String
    /// The capture extensions (`.pcap.zst`).
    public var captureExtension: String
    /// The compression suffix (`.zst`, `.lz4` or empty).
    public var compressionExtension: String
    /// The format the name asks for (`.pcapng` → pcapng, anything else pcap).
    public var impliedFormat: CaptureFormat

    /// Splits `path` into stem and extensions.
    public init(path: String) {
        var rest = path
        var compression = ""
        for suffix in [".zst", ".lz4"] where rest.lowercased().hasSuffix(suffix) {
            compression = suffix
            rest.removeLast(suffix.count)
        }
        var format = CaptureFormat.pcap
        var captureSuffix = ""
        for (suffix, kind) in [(".pcapng", CaptureFormat.pcapng), (".pcap", .pcap)]
        where captureSuffix.isEmpty && rest.lowercased().hasSuffix(suffix) {
            captureSuffix = String(rest.suffix(suffix.count))
            format = kind
            rest.removeLast(suffix.count)
        }
        stem = rest
        captureExtension = captureSuffix + compression
        compressionExtension = compression
        impliedFormat = format
    }

    /// The capture path; `index` numbers a rotated part.
    public func capturePath(part index: Int?) -> String {
        guard let index else { return stem + captureExtension }
        let number = String(index)
        return stem + "-" + String(repeating: "0", count: max(0, 4 - number.count)) + number + captureExtension
    }

    /// The ground-truth path.
    public var truthPath: String { stem + ".truth.json" }
    /// The policy path.
    public var policyPath: String { stem + ".policy.yaml" }
}
