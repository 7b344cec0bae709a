public import Output

/// Writes frames into pcap or pcapng files, compressed by the file name, optionally rotated by time.
///
/// Records are assembled in a 1 MiB buffer and handed to ``OutputFile`` (streaming zstd/LZ4, atomic
/// rename on close), so memory stays constant however many packets are written.
public final class CaptureWriter {
    /// The naming of the files.
    public let naming: OutputNaming
    /// pcap or pcapng.
    public let format: CaptureFormat
    /// Nanosecond timestamps (pcap magic `0xA1B23C4D`, pcapng `if_tsresol` 9) instead of microseconds.
    public let nanoseconds: Bool
    /// The snap length recorded in the headers.
    public let snaplen: Int
    /// Seconds of capture time per file, or `nil` for a single file.
    public let rotateNanoseconds: Int64?
    /// Where rotation counts from (the scenario's start).
    public let origin: Int64
    /// The files written so far, in order.
    public private(set) var paths: [String] = []
    /// Packets written.
    public private(set) var packets: UInt64 = 0
    /// Wire bytes of the packets written.
    public private(set) var wireBytes: UInt64 = 0

    private var file: OutputFile?
    private var part = -1
    private let buffer: UnsafeMutableRawPointer
    private var used = 0
    private static let capacity = 1 << 20

    /// Creates a writer; the first file is opened with the first packet.
    public init(naming: OutputNaming, format: CaptureFormat, nanoseconds: Bool, snaplen: Int,
                rotateSeconds: Double?, origin: Int64) {
        self.naming = naming
        self.format = format
        self.nanoseconds = nanoseconds
        self.snaplen = snaplen
        self.rotateNanoseconds = rotateSeconds.map { Int64($0 * 1e9) }
        self.origin = origin
        buffer = .allocate(byteCount: Self.capacity + FrameBuilder.capacity + 64, alignment: 16)
    }

    deinit { buffer.deallocate() }

    private var compression: OutputCompression {
        switch naming.compressionExtension {
        case ".zst": .zstd
        case ".lz4": .lz4
        default: .none
        }
    }

    /// Appends one frame captured at `time` (ns since the epoch).
    public func write(time: Int64, frame: UnsafeRawPointer, capturedLength: Int, wireLength: Int) throws(OutputError) {
        let wantedPart = rotateNanoseconds.map { Int(max(0, time - origin) / $0) } ?? 0
        if file == nil || wantedPart != part { try open(part: wantedPart) }
        let needed = (format == .pcap ? 16 : 32) + capturedLength + 4
        if used + needed > Self.capacity { try flush() }
        let seconds = time / 1_000_000_000
        let fraction = time % 1_000_000_000
        let ticks = nanoseconds ? fraction : fraction / 1000
        switch format {
        case .pcap:
            store(UInt32(truncatingIfNeeded: seconds))
            store(UInt32(truncatingIfNeeded: ticks))
            store(UInt32(capturedLength))
            store(UInt32(wireLength))
            copy(frame, capturedLength)
        case .pcapng:
            let padded = (capturedLength + 3) & ~3
            let total = UInt32(32 + padded)
            let stamp = UInt64(seconds) * (nanoseconds ? 1_000_000_000 : 1_000_000) + UInt64(ticks)
            store(6)
            store(total)
            store(0)
            store(UInt32(truncatingIfNeeded: stamp >> 32))
            store(UInt32(truncatingIfNeeded: stamp))
            store(UInt32(capturedLength))
            store(UInt32(wireLength))
            copy(frame, capturedLength)
            for _ in capturedLength..<padded { storeByte(0) }
            store(total)
        }
        packets += 1
        wireBytes += UInt64(wireLength)
    }

    /// Writes what is buffered and closes the last file.
    public func close() throws(OutputError) {
        if file == nil { try open(part: 0) }
        try flush()
        try file?.close()
        file = nil
    }

    private func open(part newPart: Int) throws(OutputError) {
        if let file {
            try flush()
            try file.close()
        }
        part = newPart
        let path = naming.capturePath(part: rotateNanoseconds == nil ? nil : newPart)
        file = try OutputFile(path: path, compression: compression)
        paths.append(path)
        writeFileHeader()
    }

    private func writeFileHeader() {
        switch format {
        case .pcap:
            store(nanoseconds ? 0xA1B2_3C4D : 0xA1B2_C3D4)
            store(UInt32(2) | UInt32(4) << 16)
            store(0)
            store(0)
            store(UInt32(snaplen))
            store(1)
        case .pcapng:
            // Section header block: byte-order magic, version 1.0, unknown section length.
            store(0x0A0D_0D0A)
            store(28)
            store(0x1A2B_3C4D)
            store(UInt32(1))
            store(0xFFFF_FFFF)
            store(0xFFFF_FFFF)
            store(28)
            // Interface description block: Ethernet, snaplen, if_tsresol option, end of options.
            store(1)
            store(32)
            store(1)
            store(UInt32(snaplen))
            store(UInt32(9) | UInt32(1) << 16)
            store(UInt32(nanoseconds ? 9 : 6))
            store(0)
            store(32)
        }
    }

    private func flush() throws(OutputError) {
        guard used > 0, let file else { return }
        try file.write(UnsafeRawBufferPointer(start: buffer, count: used))
        used = 0
    }

    private func store(_ value: UInt32) {
        buffer.storeBytes(of: value.littleEndian, toByteOffset: used, as: UInt32.self)
        used += 4
    }

    private func storeByte(_ value: UInt8) {
        buffer.storeBytes(of: value, toByteOffset: used, as: UInt8.self)
        used += 1
    }

    private func copy(_ source: UnsafeRawPointer, _ count: Int) {
        (buffer + used).copyMemory(from: source, byteCount: count)
        used += count
    }
}
