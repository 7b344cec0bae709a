public import FlowModel

/// A run of whole classic-pcap records in memory, the unit of parallel decoding.
///
/// Every capture reader produces these: the streaming reader points into its pooled buffers (read from
/// a file or decompressed), the mapped-file reader into the mapping, the libpcap reader into records it rewrote in native byte order with
/// nanosecond timestamps. So one loop decodes every input.
public struct RecordChunk: Sendable {
    /// The memory the records live in.
    public let storage: ChunkStorage
    /// The records' byte range inside ``storage``.
    public let range: Range<Int>
    /// How to read the record headers.
    public let header: PcapFileHeader
    /// Offset of the first record in the file (in the decompressed stream for compressed inputs).
    public let fileOffset: Int
    /// The number of records in the chunk; 0 when its end was guessed (decoding counts them then).
    public let recordCount: Int
    /// `nil` when the chunk's end was found by walking its record headers; else the end was guessed (see
    /// ``MappedPcapReader/guessesChunkEnds``) and this is about how many records the chunk holds, the
    /// room decoding reserves for them.
    public let guessedRecords: Int?

    /// Creates a chunk of `recordCount` records whose end was walked, or (with `guessedRecords`) whose end
    /// was guessed.
    init(storage: ChunkStorage, range: Range<Int>, header: PcapFileHeader, fileOffset: Int, recordCount: Int,
         guessedRecords: Int? = nil) {
        self.storage = storage
        self.range = range
        self.header = header
        self.fileOffset = fileOffset
        self.recordCount = guessedRecords == nil ? recordCount : 0
        self.guessedRecords = guessedRecords
    }

    /// The records' bytes.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage.bytes[range]) }

    /// Tells the kernel the bytes of `chunks` in a mapped file are no longer needed (call after decoding
    /// them), so resident memory stays bounded by the chunks in flight rather than the file's size. One
    /// call for each run of chunks that follow each other in one mapping: each call also flushes the other
    /// cores' TLBs, an inter-processor interrupt that costs a virtual machine about 0.1 ms.
    public static func releasePages(_ chunks: some Sequence<RecordChunk>) {
        var run: (storage: ChunkStorage, range: Range<Int>)?
        for chunk in chunks {
            if let current = run, current.storage === chunk.storage, current.range.upperBound == chunk.range.lowerBound {
                run = (current.storage, current.range.lowerBound..<chunk.range.upperBound)
                continue
            }
            if let current = run { current.storage.releasePages(current.range) }
            run = (chunk.storage, chunk.range)
        }
        if let current = run { current.storage.releasePages(current.range) }
    }

    /// Decodes every record into `batch`.
    ///
    /// - Parameters:
    ///   - decoder: The decoder for the chunk's link type.
    ///   - filter: A compiled BPF filter; records it rejects are counted in `filteredOut` and skipped.
    ///   - batch: Receives one row per decoded packet.
    ///   - counters: Updated for every record the filter lets through.
    ///   - filteredOut: Incremented for every record the filter rejects.
    public func decode(
        with decoder: PacketDecoder, filter: PacketFilter?, into batch: inout PacketBatch,
        counters: inout DecodeCounters, filteredOut: inout UInt64
    ) {
        var ignored: [DNSAnswer]? = nil
        decode(with: decoder, filter: filter, into: &batch, counters: &counters, filteredOut: &filteredOut,
               dns: &ignored)
    }

    /// Decodes every record into `batch` and, when `dns` is not `nil`, appends the address answers of
    /// DNS responses to it (see ``PacketDecoder/decode(frame:wireLength:timestamp:into:counters:dns:)``).
    public func decode(
        with decoder: PacketDecoder, filter: PacketFilter?, into batch: inout PacketBatch,
        counters: inout DecodeCounters, filteredOut: inout UInt64, dns: inout [DNSAnswer]?
    ) {
        var keys: PacketKeyHashes? = nil
        decode(with: decoder, filter: filter, into: &batch, counters: &counters, filteredOut: &filteredOut, dns: &dns,
               keys: &keys)
    }

    /// Decodes every record as ``decode(with:filter:into:counters:filteredOut:dns:)`` does and, when `keys` is
    /// not `nil` and `batch` is empty, sets it to each packet's flow-key hash and orientation and the time
    /// range, worked out as the packet is decoded (else to `nil`).
    ///
    /// - Returns: Where the walk over the records stopped. For a chunk whose end was walked that is its
    ///   end; for one whose end was guessed it tells whether the guess holds (``RecordWalk/confirmsEnd(of:)``).
    @discardableResult
    public func decode(
        with decoder: PacketDecoder, filter: PacketFilter?, into batch: inout PacketBatch,
        counters: inout DecodeCounters, filteredOut: inout UInt64, dns: inout [DNSAnswer]?,
        keys: inout PacketKeyHashes?
    ) -> RecordWalk {
        var walk = RecordWalk(startOffset: fileOffset)
        var offset = 0
        let room = guessedRecords ?? recordCount
        // An empty batch gets the records written straight into its columns (room for every record of a
        // walked chunk, for a quarter more than a guessed chunk's first records suggest); else, and for the
        // records that did not fit, they are staged and appended (the keys then left to the flow stage).
        if batch.isEmpty && room > 0 {
            var roomRanOut = false
            if keys == nil {
                batch = PacketBatch.filling(capacity: room) { staging in
                    var range = (earliest: Int64.max, latest: Int64.min)
                    roomRanOut = decodeRecords(with: decoder, filter: filter, into: &staging, flushingInto: nil,
                                               counters: &counters, filteredOut: &filteredOut, dns: &dns, keys: nil,
                                               range: &range, offset: &offset, walk: &walk)
                }
            } else {
                var hashed = PacketKeyHashes()
                var decoded = 0
                hashed.hashes = [UInt64](unsafeUninitializedCapacity: room) { hashes, hashesWritten in
                    hashed.srcFirst = [Bool](unsafeUninitializedCapacity: room) { srcFirst, srcFirstWritten in
                        batch = PacketBatch.filling(capacity: room) { staging in
                            var range = (earliest: Int64.max, latest: Int64.min)
                            roomRanOut = decodeRecords(
                                with: decoder, filter: filter, into: &staging, flushingInto: nil, counters: &counters,
                                filteredOut: &filteredOut, dns: &dns, keys: (hashes.baseAddress!, srcFirst.baseAddress!),
                                range: &range, offset: &offset, walk: &walk)
                            decoded = staging.count
                            (hashed.earliest, hashed.latest) = range
                        }
                        srcFirstWritten = decoded
                    }
                    hashesWritten = decoded
                }
                keys = hashed
            }
            guard roomRanOut else { return walk }
        }
        // The rest (all of it, for a batch that was not empty) through an owned stage; the keys are then
        // worked out by whoever needs them.
        keys = nil
        var staging = PacketStaging()
        var range = (earliest: Int64.max, latest: Int64.min)
        decodeRecords(with: decoder, filter: filter, into: &staging, flushingInto: &batch, counters: &counters,
                      filteredOut: &filteredOut, dns: &dns, keys: nil, range: &range, offset: &offset, walk: &walk)
        staging.flush(into: &batch)
        return walk
    }

    /// The decoding loop, from `offset` (relative to the chunk's start) on: a full `staging` is flushed
    /// into `batch` (given for an owned stage only); without `batch`, a full stage ends the loop and it
    /// returns `true` (room ran out; `offset` is where to go on). Rows are stored through the stage's
    /// ``PacketStaging/Columns``, which the loop holds. With `keys` (a stage over a batch's columns only),
    /// each row's flow-key hash and orientation are stored at its index too, and `range` takes the rows'
    /// times. `walk` takes the records read and where and why the walk stopped.
    ///
    /// Records start before the chunk's end; the last one of a chunk whose end was guessed may run past
    /// it, into the rest of the storage. Each header is checked as ``PcapFileHeader/scanRecords`` checks
    /// it, so a walk from a true record boundary takes the records a walk over the whole file takes.
    @inline(__always)
    @discardableResult
    private func decodeRecords(
        with decoder: PacketDecoder, filter: PacketFilter?, into staging: inout PacketStaging,
        flushingInto batch: UnsafeMutablePointer<PacketBatch>?, counters: inout DecodeCounters,
        filteredOut: inout UInt64, dns: inout [DNSAnswer]?,
        keys: (hashes: UnsafeMutablePointer<UInt64>, srcFirst: UnsafeMutablePointer<Bool>)?,
        range: inout (earliest: Int64, latest: Int64), offset: inout Int, walk: inout RecordWalk
    ) -> Bool {
        let header = self.header
        // A walked chunk's records end at its end; a guessed chunk's last record may run on.
        let bytes = guessedRecords == nil
            ? self.bytes : UnsafeRawBufferPointer(rebasing: storage.bytes[self.range.lowerBound...])
        let stop = self.range.count
        let end = bytes.count
        let fractionLimit = header.timestampFractionLimit  // read once, not per record
        var position = offset
        var records = 0
        var lastSeconds = walk.lastSeconds
        var outcome = RecordWalk.Stop.reachedEnd
        defer {
            offset = position
            walk.records &+= records
            walk.lastSeconds = lastSeconds
            walk.endOffset = fileOffset &+ position
            walk.stop = outcome
        }
        while true {
            if staging.isFull {
                guard let batch else { return true }  // room ran out: the caller goes on from `position`
                staging.flush(into: &batch.pointee)
            }
            let more = staging.withColumns { columns, n -> Bool in
                while position < stop {
                    guard n < columns.limit else { return true }
                    guard position &+ PcapFileHeader.recordHeaderSize <= end else {
                        outcome = .cutShort
                        return false
                    }
                    let (seconds, fraction, captured, original) = header.recordHeader(bytes, at: position)
                    guard captured <= PcapFileHeader.maximumRecordLength, fraction < fractionLimit else {
                        outcome = .damaged
                        return false
                    }
                    let dataStart = position &+ PcapFileHeader.recordHeaderSize
                    guard Int(captured) <= end &- dataStart else {
                        outcome = .cutShort
                        return false
                    }
                    let frame = UnsafeRawBufferPointer(rebasing: bytes[dataStart..<(dataStart &+ Int(captured))])
                    position = dataStart &+ Int(captured)
                    records &+= 1
                    lastSeconds = seconds
                    let wireLength = max(original, captured)
                    if let filter, !filter.matches(frame: frame, wireLength: wireLength) {
                        filteredOut &+= 1
                        continue
                    }
                    guard let row = decoder.decodeRow(frame: frame, wireLength: wireLength, counters: &counters) else {
                        continue
                    }
                    let timestamp = header.timestamp(seconds: seconds, fraction: fraction)
                    columns.store(at: n, timestamp: timestamp, src: row.src, dst: row.dst, srcPort: row.srcPort,
                                  dstPort: row.dstPort, proto: row.proto, flags: row.flags, tcpFlags: row.tcpFlags,
                                  wireLength: wireLength, fragmentID: row.fragmentID)
                    if let keys {
                        range.earliest = min(range.earliest, timestamp)
                        range.latest = max(range.latest, timestamp)
                        if row.flags.contains(.fragment) {
                            keys.hashes[n] = 0
                            keys.srcFirst[n] = false
                        } else {
                            let key = FlowKeyHash.packet(src: row.src, srcPort: row.srcPort, dst: row.dst,
                                                         dstPort: row.dstPort,
                                                         proto: row.flags.contains(.link) ? 0x100 : UInt16(row.proto))
                            keys.hashes[n] = key.hash
                            keys.srcFirst[n] = key.srcFirst
                        }
                    }
                    n &+= 1
                    if dns != nil {
                        decoder.readDNS(row, frame: frame, timestamp: timestamp, counters: &counters, dns: &dns!)
                    }
                }
                return false
            }
            if !more { return false }
        }
    }

    /// The timestamp of the first record, if any.
    public var firstTimestamp: Int64? {
        let bytes = self.bytes
        guard bytes.count >= PcapFileHeader.recordHeaderSize else { return nil }
        let (seconds, fraction, _, _) = header.recordHeader(bytes, at: 0)
        return header.timestamp(seconds: seconds, fraction: fraction)
    }
}
