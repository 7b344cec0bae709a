import Ingest

/// Reads a capture's next step of record chunks on a background queue while the step before is decoded
/// and assembled, so reading (walking record headers or, for a mapped pcap file, mapping its pages and
/// guessing where chunks end; for compressed captures, decompressing) does not leave the decoding cores
/// waiting.
///
/// One step is read ahead at most: ``start()`` begins reading, ``wait()`` returns what was read. The
/// reader is used by one task at a time, the queue's between the two calls, so its warnings are read only
/// after ``wait()``. Without `background` the step is read on the caller's thread in ``start()``.
///
/// The first steps are smaller (a sixteenth of the chunk size, then a quarter): nothing can be decoded
/// before the first step is read, nor assembled before it is decoded, so a full first step of 4 × 4 MB
/// kept a core idle for the 15 ms its reading took (into fresh buffers) and the flow table for 15 more.
final class ChunkReadAhead: @unchecked Sendable {
    // @unchecked: `reader` is used by the read in flight only (``WorkAhead`` runs one at a time).

    /// One step's chunks, and the error that ended the reading (after those chunks), if any.
    struct Step: Sendable {
        /// Whole-record chunks, in file order.
        var chunks: [RecordChunk] = []
        /// The error the reader threw after `chunks`.
        var failure: ParseError?
    }

    private let reader: any CaptureReader
    private let perStep: Int
    private let targetBytes: Int
    private let ahead: WorkAhead<Step>

    /// Creates a read-ahead of `perStep` chunks of about `targetBytes` each; with `guessEnds`, a reader
    /// that can guesses where chunks end (``MappedPcapReader/guessesChunkEnds``) and whoever decodes the
    /// chunks checks the guesses, calling ``resume(after:)`` when one does not hold.
    init(reader: any CaptureReader, perStep: Int, targetBytes: Int, background: Bool, guessEnds: Bool = false) {
        self.reader = reader
        self.perStep = perStep
        self.targetBytes = targetBytes
        ahead = WorkAhead(label: "medflow.capture.read-ahead", background: background, empty: Step())
        if guessEnds, let mapped = reader as? MappedPcapReader { mapped.guessesChunkEnds = true }
    }

    /// After decoding a chunk whose guessed end `walk` did not confirm: drops the step read ahead, if
    /// any, and goes on reading where the walk stopped (``MappedPcapReader/resume(at:after:)``). Call
    /// ``start()`` next.
    func resume(after walk: RecordWalk) {
        _ = ahead.wait()
        (reader as? MappedPcapReader)?.resume(at: walk.endOffset, after: walk.lastSeconds)
    }

    /// Starts reading the next step.
    func start() { ahead.start { self.readStep() } }

    /// Waits for the step ``start()`` began and returns it (an empty step when none was started).
    func wait() -> Step { ahead.wait() }

    /// Steps read so far.
    private var stepsRead = 0

    /// The chunk size of the next step: ramping up to `targetBytes` over the first steps.
    static func chunkBytes(step: Int, targetBytes: Int) -> Int {
        step >= 2 ? targetBytes : max(64 << 10, targetBytes >> (step == 0 ? 4 : 2))
    }

    private func readStep() -> Step {
        var result = Step()
        let targetBytes = Self.chunkBytes(step: stepsRead, targetBytes: self.targetBytes)
        stepsRead += 1
        do {
            while result.chunks.count < perStep, let chunk = try reader.nextChunk(targetBytes: targetBytes) {
                result.chunks.append(chunk)
            }
        } catch {
            result.failure = error
        }
        return result
    }
}
