internal import CPcap
internal import Dispatch
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Reads pcapng (and anything else libpcap reads) with `pcap_next_ex`, rewriting each record into a
/// chunk in native byte order with nanosecond timestamps, so it decodes like classic pcap.
///
/// A compressed input is fed to libpcap through a pipe by a background feeder, since libpcap reads only
/// from a `FILE*`.
public final class LibpcapReader: CaptureReader {
    private let handle: OpaquePointer
    private let feeder: PipeFeeder?
    /// The header every chunk carries.
    public let header: PcapFileHeader
    /// Non-fatal problems found so far.
    public private(set) var warnings: [ParseError] = []
    private var ended = false
    private var records = 0

    /// Opens a plain file with a 128 KiB stdio buffer.
    public convenience init(path: String) throws(ParseError) {
        guard let file = fopen(path, "rb") else { throw .io(offset: 0, detail: String(cString: strerror(errno))) }
        setvbuf(file, nil, _IOFBF, 1 << 17)
        try self.init(file: file, feeder: nil)
    }

    /// Reads the decompressed bytes of `stream`.
    public convenience init(stream: any ByteStream) throws(ParseError) {
        let feeder = try PipeFeeder(stream: stream)
        guard let file = fdopen(feeder.readDescriptor, "rb") else {
            throw .io(offset: 0, detail: String(cString: strerror(errno)))
        }
        try self.init(file: file, feeder: feeder)
    }

    private init(file: UnsafeMutablePointer<FILE>, feeder: PipeFeeder?) throws(ParseError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        else {
            fclose(file)
            if let failure = feeder?.finish() { throw failure }
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw .unsupported(offset: 0, what: "capture: " + message)
        }
        self.handle = handle
        self.feeder = feeder
        header = PcapFileHeader(isByteSwapped: false, hasNanosecondTimestamps: true,
                                snapLength: UInt32(max(0, pcap_snapshot(handle))),
                                linkType: LinkType(rawValue: UInt32(max(0, pcap_datalink(handle)))))
    }

    deinit {
        pcap_close(handle)  // closes the FILE* and with it the pipe's read end
        _ = feeder?.finish()
    }

    /// The link type of every record.
    public var linkType: LinkType { header.linkType }
    /// `pcapng` or `pcap`, as libpcap saw it.
    public var formatName: String { "pcapng" }

    /// Returns the next records, rewritten, about `targetBytes` bytes of them.
    public func nextChunk(targetBytes: Int) throws(ParseError) -> RecordChunk? {
        guard !ended else { return nil }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(min(targetBytes, 1 << 24) + 65_552)
        var count = 0
        var packetHeader: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while buffer.count < targetBytes {
            let status = pcap_next_ex(handle, &packetHeader, &data)
            if status == 1, let packetHeader {
                let h = packetHeader.pointee
                var record = (UInt32(truncatingIfNeeded: h.ts.tv_sec), UInt32(truncatingIfNeeded: h.ts.tv_usec),
                              h.caplen, h.len)
                withUnsafeBytes(of: &record) { buffer.append(contentsOf: $0) }
                buffer.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(h.caplen)))
                count += 1
                continue
            }
            ended = true
            if let failure = feeder?.finish() { throw failure }
            if status == -1 {
                let message = String(cString: pcap_geterr(handle))
                let problem = ParseError.invalidLength(offset: position, field: "record (\(message))", value: records + count)
                if message.contains("truncated") { warnings.append(.truncated(offset: position, needed: 0, available: 0)) }
                else { throw problem }
            }
            break
        }
        guard count > 0 else { return nil }
        let storage = ChunkStorage.allocate(buffer.count)
        buffer.withUnsafeBytes { UnsafeMutableRawBufferPointer(start: storage.base, count: storage.count).copyMemory(from: $0) }
        defer { records += count }
        return RecordChunk(storage: storage, range: 0..<buffer.count, header: header, fileOffset: records,
                           recordCount: count)
    }

    /// The read position in the (decompressed) file, as far as stdio knows it.
    private var position: Int {
        if let feeder { return feeder.bytesFed }
        guard let file = pcap_file(handle) else { return 0 }
        return Int(ftell(file))
    }
}

/// Copies a ``ByteStream`` into a pipe on a background thread, for readers that want a file descriptor.
final class PipeFeeder: @unchecked Sendable {
    // @unchecked: `stream` is used only by the feeding thread; `failure`/`fed` are published by `done`.
    private var stream: any ByteStream
    let readDescriptor: Int32
    private let writeDescriptor: Int32
    private var failure: ParseError?
    private var fed = 0
    private let done = DispatchSemaphore(value: 0)
    private var finished = false

    init(stream: any ByteStream) throws(ParseError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw .io(offset: 0, detail: String(cString: strerror(errno))) }
        self.stream = stream
        readDescriptor = fds[0]
        writeDescriptor = fds[1]
        Thread.detachNewThread { [self] in feed() }
    }

    /// Bytes written into the pipe so far (exact once the feeder has finished).
    var bytesFed: Int { fed }

    private func feed() {
        // When the reader closes its end early (the first-timestamp pass reads one record and closes), a
        // write raises SIGPIPE, which would kill the whole process. Blocked on this thread, the write fails
        // with EPIPE instead and the feeder ends; the pending signal goes away with the thread.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate(); close(writeDescriptor); done.signal() }
        do {
            while true {
                let count = try stream.read(into: buffer)
                if count == 0 { return }
                var written = 0
                while written < count {
                    let n = write(writeDescriptor, buffer.baseAddress! + written, count - written)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return }  // the reader went away
                    written += n
                }
                fed += count
            }
        } catch {
            failure = error
        }
    }

    /// Waits for the feeding thread to end (closing the read side first makes it stop) and returns its error.
    func finish() -> ParseError? {
        if !finished {
            done.wait()
            finished = true
        }
        return failure
    }
}
