internal import Dispatch
import FlowModel
import Flows
import Ingest

/// Decodes one step of record chunks (one task per chunk) in the background while the pipeline assembles
/// the step before, so the flow shards and the decoders keep both cores busy instead of taking turns.
///
/// One step is decoded ahead at most: ``start(_:)`` begins, ``wait()`` returns its results in chunk order.
/// Without `background` the step is decoded on the caller's thread in ``start(_:)``.
final class StepDecoder: Sendable {
    /// One decoded chunk.
    struct Decoded: Sendable {
        /// The chunk's packets.
        var batch = PacketBatch()
        /// Each packet's flow shard, key hash and orientation (``FlowAssembler/keys(for:)``).
        var keys = FlowAssembler.PacketKeys()
        /// What decoding counted.
        var counters = DecodeCounters()
        /// Records the filter rejected.
        var filteredOut: UInt64 = 0
        /// DNS answers read, when asked for.
        var dns: [DNSAnswer]?
        /// Where the walk over the chunk's records stopped.
        var walk = RecordWalk(startOffset: 0)
        /// `false` when the chunk's end was guessed and the walk did not confirm it
        /// (``RecordWalk/confirmsEnd(of:)``): the chunks after this one are to be dropped.
        var guessedEndHolds = true
    }

    private let decoder: PacketDecoder
    private let filter: PacketFilter?
    private let readDNS: Bool
    private nonisolated(unsafe) let assembler: FlowAssembler  // keys(for:) only reads immutable state
    private let ahead: WorkAhead<[Decoded]>
    /// Whether decoding runs beside the flow shards' threads (and yields to them: ``WorkerPriority``).
    private let background: Bool

    /// Creates a step decoder for one capture.
    init(decoder: PacketDecoder, filter: PacketFilter?, readDNS: Bool, assembler: FlowAssembler, background: Bool) {
        self.decoder = decoder
        self.filter = filter
        self.readDNS = readDNS
        self.assembler = assembler
        self.background = background
        ahead = WorkAhead(label: "medflow.capture.decode-ahead", background: background, empty: [])
    }

    /// Starts decoding `chunks`.
    func start(_ chunks: [RecordChunk]) { ahead.start { self.decode(chunks) } }

    /// Waits for the step ``start(_:)`` began and returns its chunks' results (none when none was started).
    func wait() -> [Decoded] { ahead.wait() }

    /// Decodes `chunks` concurrently, one task per chunk (in the background at ``WorkerPriority/yielding``).
    private func decode(_ chunks: [RecordChunk]) -> [Decoded] {
        let results = UnsafeMutableBufferPointer<Decoded>.allocate(capacity: chunks.count)
        results.initialize(repeating: Decoded())
        defer { results.deinitialize(); results.deallocate() }
        nonisolated(unsafe) let output = results  // invariant: task i writes output[i] only
        let work: @Sendable (Int) -> Void = { [self] i in
            if background { WorkerPriority.yieldToFlowShards() }
            var item = Decoded()
            item.dns = readDNS ? [] : nil
            // Each packet's key hash and orientation come out of the decoding loop itself.
            var hashed: PacketKeyHashes? = PacketKeyHashes()
            let chunk = chunks[i]
            item.walk = chunk.decode(with: decoder, filter: filter, into: &item.batch, counters: &item.counters,
                                     filteredOut: &item.filteredOut, dns: &item.dns, keys: &hashed)
            item.guessedEndHolds = chunk.guessedRecords == nil || item.walk.confirmsEnd(of: chunk)
            item.keys = assembler.keys(for: item.batch, hashed: hashed)
            output[i] = item
        }
        if chunks.count == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: chunks.count, execute: work) }
        RecordChunk.releasePages(chunks)  // a step's chunks follow each other: one call, not one each
        return Array(results)
    }
}
