import Foundation
import Output
import Testing

/// Result files are complete or absent: failures name the path, and abandoned writers leave nothing.
@Suite struct OutputWriterFailureTests {
    @Test(arguments: OutputCompression.allCases)
    func unclosedWriterLeavesNothing(compression: OutputCompression) throws {
        let directory = try ScratchDirectory()
        let path = directory.path("beacons.ndjson\(compression.fileExtension)")
        do {
            let file = try OutputFile(path: path, compression: compression)
            try file.write(WriterFixtures.large)
            try file.write(Array("partial line".utf8))
            // While open, only the temporary file exists, hidden next to the final path.
            #expect(try directory.contents() == [".beacons.ndjson\(compression.fileExtension).tmp-\(getpid())"])
        }
        #expect(try directory.contents() == [])
    }

    @Test(arguments: OutputCompression.allCases)
    func closeReplacesAnExistingFile(compression: OutputCompression) throws {
        let directory = try ScratchDirectory()
        let path = directory.path("egress")
        try Data("old results\n".utf8).write(to: URL(fileURLWithPath: path))
        let payload = Array("new results\n".utf8)
        let file = try OutputFile(path: path, compression: compression)
        try file.write(payload)
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: path)) == Data("old results\n".utf8),
            "replaced only on close"
        )
        try file.close()
        try WriterFixtures.expectContent(at: path, compression, equals: payload)
        #expect(try directory.contents() == ["egress"])
    }

    @Test(arguments: OutputCompression.allCases)
    func missingDirectoryNamesThePath(compression: OutputCompression) throws {
        let directory = try ScratchDirectory()
        let path = directory.path("no-such-dir/flows.ndjson")
        let error = #expect(throws: OutputError.self) { try OutputFile(path: path, compression: compression) }
        #expect(error?.path == path)
        #expect(error?.detail.contains("No such file or directory") == true)
        #expect(error?.description.hasPrefix("\(path): ") == true)
    }

    @Test func parentThatIsAFileNamesThePath() throws {
        let directory = try ScratchDirectory()
        try Data([1]).write(to: URL(fileURLWithPath: directory.path("plain-file")))
        let path = directory.path("plain-file/summary.json")
        let error = #expect(throws: OutputError.self) { try OutputFile(path: path, compression: .none) }
        #expect(error?.path == path)
        #expect(error?.detail.contains("Not a directory") == true)
    }

    /// A name without a directory goes next to the working directory's files. Runs in a child process so that
    /// changing the working directory cannot disturb tests running in parallel.
    @Test func relativePathWritesInTheWorkingDirectory() async {
        await #expect(processExitsWith: .success) {
            let directory = try ScratchDirectory()
            guard FileManager.default.changeCurrentDirectoryPath(directory.path(".")) else { exit(2) }
            let file = try OutputFile(path: "relative.ndjson", compression: .none)
            try file.write(Array("x\n".utf8))
            try file.close()
            let content = try Data(contentsOf: URL(fileURLWithPath: directory.path("relative.ndjson")))
            let names = try directory.contents()
            try? FileManager.default.removeItem(at: directory.url)  // exit() below skips its deinit
            exit(content == Data("x\n".utf8) && names == ["relative.ndjson"] ? 0 : 1)
        }
    }

    /// A failed write (here `EFBIG` from a file-size limit) abandons the file: the temporary file is removed,
    /// nothing appears at the path, and `close()` reports the same error, for every compression. Runs in a
    /// child process because it lowers `RLIMIT_FSIZE`.
    @Test func failedWriteAbandonsTheFile() async {
        await #expect(processExitsWith: .success) {
            signal(SIGXFSZ, SIG_IGN)
            var limit = rlimit(rlim_cur: 100_000, rlim_max: rlim_t.max)  // RLIM_INFINITY; the macro does not import
            guard setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit) == 0 else { exit(2) }
            for compression in OutputCompression.allCases {
                let directory = try ScratchDirectory()
                let path = directory.path("flows")
                let file = try OutputFile(path: path, compression: compression, level: 1)
                var writeError: OutputError?
                do throws(OutputError) {
                    for seed: UInt64 in 0..<10 { try file.write(WriterFixtures.text(byteCount: 1_000_000, seed: seed)) }
                    try file.close()
                } catch {
                    writeError = error
                }
                guard let writeError, writeError.path == path, writeError.detail.contains("File too large") else {
                    exit(3)
                }
                guard try directory.contents().isEmpty else { exit(4) }
                do throws(OutputError) { try file.close() } catch { if error != writeError { exit(5) } }
            }
            exit(0)
        }
    }

    @Test func errorDescriptionIsPathColonDetail() {
        let error = OutputError(path: "out/beacons.ndjson.zst", detail: "No space left on device")
        #expect(error.description == "out/beacons.ndjson.zst: No space left on device")
    }

    @Test func bytesWrittenCountsUncompressedBytes() throws {
        let directory = try ScratchDirectory()
        let file = try OutputFile(path: directory.path("count.lz4"), compression: .lz4)
        #expect(file.bytesWritten == 0)
        try file.write([1, 2, 3])
        try file.write([])
        try file.write(WriterFixtures.large)
        #expect(file.bytesWritten == 3 + WriterFixtures.large.count)
        #expect(file.path == directory.path("count.lz4") && file.compression == .lz4)
        try file.close()
        #expect(file.bytesWritten == 3 + WriterFixtures.large.count)
    }

    @Test func writingAfterCloseIsAProgrammingError() async {
        await #expect(processExitsWith: .failure) {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("medflow-after-close-\(getpid())")
                .path
            let file = try OutputFile(path: path, compression: .zstd)
            try file.close()
            try? FileManager.default.removeItem(atPath: path)
            try file.write([1])
        }
    }
}
