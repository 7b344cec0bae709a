import Foundation
import Testing

@testable import Ingest

#if canImport(Glibc)
import Glibc
#endif

/// Plain pcap files are mapped: what happens when the file is not a regular one, or changes underneath.
@Suite struct MappedCaptureTests {
    /// About 90 bytes a record: a few pages of records.
    static let records = CaptureFixture.sampleRecords(count: 3_000)

    @Test func aPlainPcapFileIsMappedAndReadsAsTheStreamDoes() throws {
        let bytes = CaptureFixture.pcap(Self.records)
        let path = try CaptureFixture.write(bytes, name: "mapped.pcap")
        let reader = try CaptureFile.open(path: path)
        #expect(reader is MappedPcapReader)
        let streamed = try StreamPcapReader(stream: MemoryByteStream(bytes, maximumReadSize: 4096))
        #expect(try CaptureFixture.readAll(reader, targetBytes: 5_000).0
            == (try CaptureFixture.readAll(streamed, targetBytes: 5_000).0))
    }

    /// Releasing decoded chunks, one by one or in runs (some not following each other), takes every page
    /// of the file out of the process's resident memory, and never changes what the chunks read.
    @Test func releasedChunksLeaveNoPagesAndReadTheSame() throws {
        #if os(Linux)
        let path = try CaptureFixture.write(CaptureFixture.pcap(Self.records), name: "released.pcap")
        let reader = try MappedPcapReader(path: path)
        var chunks: [RecordChunk] = []
        while let chunk = try reader.nextChunk(targetBytes: 20_000) { chunks.append(chunk) }
        #expect(chunks.count >= 8)
        let before = chunks.map { Array($0.bytes) }
        let base = try #require(chunks[0].storage.base)
        #expect(try Self.residentKB(of: base) > 0)
        // Runs as a step decoder releases them, one chunk alone, and a run with a gap in it.
        RecordChunk.releasePages(chunks[0..<4])
        RecordChunk.releasePages([chunks[4]])
        RecordChunk.releasePages([chunks[5], chunks[7]] + chunks[8...] + [chunks[6]])
        #expect(try Self.residentKB(of: base) == 0)
        #expect(chunks.map { Array($0.bytes) } == before)
        #endif
    }

    /// The `Rss` line of `/proc/self/smaps` for the mapping that starts at `base`.
    static func residentKB(of base: UnsafeMutableRawPointer) throws -> Int {
        // Read to the end: a single read of a /proc file stops at a page.
        let file = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        let smaps = String(decoding: try #require(try file.readToEnd()), as: UTF8.self)
        let start = String(UInt(bitPattern: base), radix: 16)
        var lines = smaps.split(separator: "\n")[...]
        while let line = lines.popFirst(), !line.hasPrefix(start + "-") {}
        let rss = try #require(lines.first { $0.hasPrefix("Rss:") })
        return try #require(Int(rss.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }

    /// A file truncated by another process after it was opened: the pages past its new end are gone, and
    /// reading them would raise SIGBUS. The reader maps each chunk's pages before walking them, so it
    /// finds out there and throws, naming the offset.
    @Test(.enabled(if: populateIsSupported(), "needs MADV_POPULATE_READ (Linux 5.14 on): else the read raises SIGBUS"))
    func aFileTruncatedWhileItIsReadIsAnErrorNotACrash() throws {
        let path = try CaptureFixture.write(CaptureFixture.pcap(Self.records), name: "shrinking.pcap")
        let reader = try CaptureFile.open(path: path)
        #expect(reader is MappedPcapReader)
        let first = try #require(try reader.nextChunk(targetBytes: 4_096))
        #expect(first.recordCount > 0)
        #expect(truncate(path, 8_192) == 0)
        let error = #expect(throws: ParseError.self) {
            while try reader.nextChunk(targetBytes: 4_096) != nil {}
        }
        guard case .io(let offset, let detail)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(detail.contains("shrank") && offset >= first.range.upperBound)
    }

    /// Past the reader's check (truncated between the check and the read), the SIGBUS is caught: one line
    /// naming the file and the byte, exit status 65. Run in a child process, which the signal ends.
    @Test func aReadPastATruncationEndsWithOneLineNotASignal() throws {
        let path = try CaptureFixture.write(CaptureFixture.pcap(Self.records), name: "vanishing.pcap")
        let (mapped, size) = try mapFile(path)
        let base = try #require(mapped)
        defer { unmapFile(base, size) }
        #expect(truncate(path, 0) == 0)
        var pipeEnds: [Int32] = [0, 0]
        // Close-on-exec: a process another test spawns meanwhile must not hold the write end open.
        #expect(pipe(&pipeEnds) == 0)
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let child = fork()
        if child == 0 {
            // The child: only async-signal-safe work. Its standard error goes into the pipe.
            dup2(pipeEnds[1], STDERR_FILENO)
            let byte = base.load(fromByteOffset: 5_000, as: UInt8.self)  // raises SIGBUS
            _exit(Int32(byte))  // not reached
        }
        close(pipeEnds[1])
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = read(pipeEnds[0], &buffer, buffer.count)
            if count <= 0 { break }
            output += buffer.prefix(count)
        }
        close(pipeEnds[0])
        var status: Int32 = 0
        #expect(waitpid(child, &status, 0) == child)
        let exited = status & 0x7F == 0
        #expect(exited && (status >> 8) & 0xFF == 65)
        let line = String(decoding: output, as: UTF8.self)
        #expect(line == "medflow: \(path): the file shrank while it was being read (at byte 5000; truncated by another process?)\n")
    }

    /// Whether this kernel maps pages ahead on request (`MADV_POPULATE_READ`), which the reader's check
    /// for a shrunk file relies on.
    static func populateIsSupported() -> Bool {
        #if os(Linux)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard let base = mmap(nil, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), base != MAP_FAILED else {
            return false
        }
        defer { munmap(base, page) }
        return madvise(base, page, madvisePopulateRead) == 0
        #else
        return false
        #endif
    }

    /// A named pipe cannot be mapped: it is read as a stream.
    @Test func aPipeIsReadAsAStream() throws {
        let bytes = CaptureFixture.pcap(Self.records)
        let file = try CaptureFixture.write([], name: "placeholder")
        let path = (file as NSString).deletingLastPathComponent + "/capture.fifo"
        #expect(mkfifo(path, 0o600) == 0)
        let writer = Thread {
            let descriptor = open(path, O_WRONLY)
            guard descriptor >= 0 else { return }
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                    if written <= 0 { break }
                    offset += written
                }
            }
            close(descriptor)
        }
        writer.start()
        let reader = try CaptureFile.open(path: path)
        #expect(reader is StreamPcapReader)
        let reference = try StreamPcapReader(stream: MemoryByteStream(bytes, maximumReadSize: 4096))
        #expect(try CaptureFixture.readAll(reader).0 == (try CaptureFixture.readAll(reference).0))
    }
}
