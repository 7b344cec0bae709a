public import FlowModel
internal import CPrefetch

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
    /// The number of records in the chunk.
    public let recordCount: Int

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
    public func decode(
        with decoder: PacketDecoder, filter: PacketFilter?, into batch: inout PacketBatch,
        counters: inout DecodeCounters, filteredOut: inout UInt64, dns: inout [DNSAnswer]?,
        keys: inout PacketKeyHashes?
    ) {
        // An empty batch gets the records written straight into its columns (a chunk never holds more
        // packets than records); else they are staged and appended.
        if batch.isEmpty && recordCount > 0 {
            guard keys != nil else {
                batch = PacketBatch.filling(capacity: recordCount) { staging in
                    var range = (earliest: Int64.max, latest: Int64.min)
                    decodeRecords(with: decoder, filter: filter, into: &staging, flushingInto: nil, counters: &counters,
                                  filteredOut: &filteredOut, dns: &dns, keys: nil, range: &range)
                }
                return
            }
            var hashed = PacketKeyHashes()
            var decoded = 0
            let capacity = recordCount
            hashed.hashes = [UInt64](unsafeUninitializedCapacity: capacity) { hashes, hashesWritten in
                hashed.srcFirst = [Bool](unsafeUninitializedCapacity: capacity) { srcFirst, srcFirstWritten in
                    batch = PacketBatch.filling(capacity: capacity) { staging in
                        var range = (earliest: Int64.max, latest: Int64.min)
                        decodeRecords(with: decoder, filter: filter, into: &staging, flushingInto: nil,
                                      counters: &counters, filteredOut: &filteredOut, dns: &dns,
                                      keys: (hashes.baseAddress!, srcFirst.baseAddress!), range: &range)
                        decoded = staging.count
                        (hashed.earliest, hashed.latest) = range
                    }
                    srcFirstWritten = decoded
                }
                hashesWritten = decoded
            }
            keys = hashed
        } else {
            keys = nil
            var staging = PacketStaging()
            var range = (earliest: Int64.max, latest: Int64.min)
            decodeRecords(with: decoder, filter: filter, into: &staging, flushingInto: &batch, counters: &counters,
                          filteredOut: &filteredOut, dns: &dns, keys: nil, range: &range)
            staging.flush(into: &batch)
        }
    }

    /// The decoding loop: a full `staging` is flushed into `batch` (given for an owned stage only). Rows
    /// are stored through the stage's ``PacketStaging/Columns``, which the loop holds.
    /// With `keys` (a stage over a batch's columns only), each row's flow-key hash and orientation are
    /// stored at its index too, and `range` takes the rows' times.
    @inline(__always)
    private func decodeRecords(
        with decoder: PacketDecoder, filter: PacketFilter?, into staging: inout PacketStaging,
        flushingInto batch: UnsafeMutablePointer<PacketBatch>?, counters: inout DecodeCounters,
        filteredOut: inout UInt64, dns: inout [DNSAnswer]?,
        keys: (hashes: UnsafeMutablePointer<UInt64>, srcFirst: UnsafeMutablePointer<Bool>)?,
        range: inout (earliest: Int64, latest: Int64)
    ) {
        let bytes = self.bytes
        let header = self.header
        var offset = 0
        let end = bytes.count
        while true {
            if staging.isFull {
                // A stage over a batch's columns has room for recordCount packets: it is never full here.
                guard let batch else { preconditionFailure("a chunk decoded more packets than it has records") }
                staging.flush(into: &batch.pointee)
            }
            let more = staging.withColumns { columns, n -> Bool in
                while offset &+ PcapFileHeader.recordHeaderSize <= end {
                    guard n < columns.limit else { return true }
                    let (seconds, fraction, captured, original) = header.recordHeader(bytes, at: offset)
                    let dataStart = offset &+ PcapFileHeader.recordHeaderSize
                    let capturedLength = min(Int(captured), end &- dataStart)  // scanning guaranteed it fits
                    let frame = UnsafeRawBufferPointer(rebasing: bytes[dataStart..<(dataStart &+ capturedLength)])
                    offset = dataStart &+ capturedLength
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
            if !more { return }
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

/// The outcome of ``PcapFileHeader/resynchronise(_:firstCandidate:after:atEnd:)``.
enum Resynchronisation: Equatable {
    /// A plausible record begins at this offset.
    case found(Int)
    /// Nothing before this offset is a plausible record; from it on, more bytes are needed to judge.
    case needMore(Int)
    /// The data hold no plausible record.
    case none
}

/// Where a walk over record headers stopped.
struct RecordScan {
    /// Offset just past the last whole record taken.
    var end: Int
    /// Whole records taken.
    var records: Int
    /// Whether the walk stopped at a record that does not fit in the bytes given.
    var stoppedAtPartialRecord: Bool
    /// Set when the walk stopped at a header that is not sane (at ``end``).
    var corrupt: ParseError? = nil
    /// The seconds field of the last record taken, if any.
    var lastSeconds: UInt32? = nil
}

extension PcapFileHeader {
    /// Walks record headers from `start` while they are sane and whole, up to about `targetBytes`.
    ///
    /// - Parameters:
    ///   - bytes: Record data.
    ///   - start: Offset of a record header in `bytes`.
    ///   - targetBytes: Stop once this many bytes of whole records are taken.
    ///   - baseOffset: The file offset of `bytes[0]`, for error messages.
    ///
    /// A header that is not sane (captured length over the limit, timestamp fraction out of range) ends
    /// the walk there with ``RecordScan/corrupt`` set: the caller skips to the next plausible record
    /// (``resynchronise(_:from:after:)``) and reports the skip.
    func scanRecords(
        _ bytes: UnsafeRawBufferPointer, from start: Int, targetBytes: Int, baseOffset: Int
    ) -> RecordScan {
        // The byte order is decided once, not per header: the walk is a tight loop over two fields.
        isByteSwapped
            ? walkRecords(bytes, from: start, targetBytes: targetBytes, baseOffset: baseOffset, swapped: true)
            : walkRecords(bytes, from: start, targetBytes: targetBytes, baseOffset: baseOffset, swapped: false)
    }

    /// How far ahead of the record header being read the walk has asked for every cache line. On a mapped
    /// file the walk is a chain of dependent loads from memory the hardware's prefetcher does not follow
    /// (it stops at each 4 KB page, and large records put the headers lines apart): asking for one line
    /// 2 KB ahead took the walk from 6.5 % to 4 % of the samples on the 10 M-packet snaplen-128 capture,
    /// but left it waiting on a full-snaplen one, where records are 630 bytes; asking for every line up
    /// to 4 KB ahead took that capture's walk from 1 400 samples to 561 (8 KB ahead: no better).
    static let walkPrefetchDistance = 4096

    /// ``scanRecords(_:from:targetBytes:baseOffset:)`` for headers in one byte order. Only the captured
    /// length and timestamp fraction are read per record; the last record's seconds once at the end.
    @inline(__always)
    private func walkRecords(
        _ bytes: UnsafeRawBufferPointer, from start: Int, targetBytes: Int, baseOffset: Int, swapped: Bool
    ) -> RecordScan {
        var offset = start
        var records = 0
        var lastTaken = -1
        var prefetched = start
        let end = bytes.count
        let limit = UInt32(Self.maximumRecordLength)
        let fractionLimit: UInt32 = hasNanosecondTimestamps ? 1_000_000_000 : 1_000_000
        /// The seconds field of the last record taken, if any.
        func lastSeconds() -> UInt32? { lastTaken < 0 ? nil : recordHeader(bytes, at: lastTaken).0 }
        while offset &- start < targetBytes {
            guard offset &+ Self.recordHeaderSize <= end else {
                return RecordScan(end: offset, records: records, stoppedAtPartialRecord: offset < end,
                                  lastSeconds: lastSeconds())
            }
            let prefetchEnd = min(end, offset &+ Self.walkPrefetchDistance)
            while prefetched < prefetchEnd {
                medflow_prefetch_read(bytes.baseAddress! + prefetched)
                prefetched &+= 64
            }
            var fraction = bytes.loadUnaligned(fromByteOffset: offset &+ 4, as: UInt32.self)
            var captured = bytes.loadUnaligned(fromByteOffset: offset &+ 8, as: UInt32.self)
            if swapped {
                fraction = fraction.byteSwapped
                captured = captured.byteSwapped
            }
            guard captured <= limit else {
                return RecordScan(end: offset, records: records, stoppedAtPartialRecord: false, corrupt:
                    .invalidLength(offset: baseOffset + offset + 8, field: "record captured length", value: Int(captured)),
                    lastSeconds: lastSeconds())
            }
            guard fraction < fractionLimit else {
                return RecordScan(end: offset, records: records, stoppedAtPartialRecord: false, corrupt:
                    .invalidLength(offset: baseOffset + offset + 4, field: "record timestamp fraction", value: Int(fraction)),
                    lastSeconds: lastSeconds())
            }
            let next = offset &+ Self.recordHeaderSize &+ Int(captured)
            guard next <= end else {
                return RecordScan(end: offset, records: records, stoppedAtPartialRecord: true, lastSeconds: lastSeconds())
            }
            lastTaken = offset
            offset = next
            records &+= 1
        }
        return RecordScan(end: offset, records: records, stoppedAtPartialRecord: false, lastSeconds: lastSeconds())
    }

    /// Walks on from where `scan` stopped, now that `bytes` (the same data, possibly more of it) are at
    /// hand: the result is what ``scanRecords(_:from:targetBytes:baseOffset:)`` from 0 over `bytes`
    /// returns. A scan that found damage stays as it is.
    func continueScan(_ scan: RecordScan, _ bytes: UnsafeRawBufferPointer, baseOffset: Int) -> RecordScan {
        guard scan.corrupt == nil else { return scan }
        var more = scanRecords(bytes, from: scan.end, targetBytes: Int.max, baseOffset: baseOffset)
        more.records &+= scan.records
        more.lastSeconds = more.lastSeconds ?? scan.lastSeconds
        return more
    }

    /// Whether a record header at `offset` looks like one a capture tool wrote: whole header, captured
    /// length 1…limit and not above the original length, original length within the limit, a valid
    /// timestamp fraction, and (when `near` is given) seconds within a week before or a year after it.
    func isPlausibleRecord(_ bytes: UnsafeRawBufferPointer, at offset: Int, near: UInt32?) -> Bool {
        guard offset >= 0, offset &+ Self.recordHeaderSize <= bytes.count else { return false }
        let (seconds, fraction, captured, original) = recordHeader(bytes, at: offset)
        guard captured > 0, captured <= original, original <= Self.maximumRecordLength,
              fraction < (hasNanosecondTimestamps ? 1_000_000_000 : 1_000_000) else { return false }
        if let near {
            let low = near > 7 * 86_400 ? near - 7 * 86_400 : 0
            guard seconds >= low, UInt64(seconds) <= UInt64(near) + 366 * 86_400 else { return false }
        }
        return true
    }

    /// Where the next plausible record begins at or after `firstCandidate`: the first offset holding a
    /// plausible record whose successor is plausible too, or whose successor lies at or beyond the end of
    /// the data (unverifiable).
    ///
    /// A streaming caller sees only part of the data: with `atEnd` false, a candidate that cannot be judged
    /// from the bytes at hand (its header or its successor's lies past them) is returned as
    /// ``Resynchronisation/needMore(_:)``, so the caller reads on and asks again from there. That keeps
    /// the answer independent of how the stream was cut into reads, equal to a reader that sees the whole
    /// file.
    ///
    /// - Parameters:
    ///   - bytes: The data at hand.
    ///   - firstCandidate: The first offset to try.
    ///   - near: The seconds of the last good record, to reject headers far from it in time.
    ///   - atEnd: Whether `bytes` run to the end of the data.
    func resynchronise(_ bytes: UnsafeRawBufferPointer, firstCandidate: Int, after near: UInt32?,
                       atEnd: Bool) -> Resynchronisation {
        var candidate = firstCandidate
        while candidate &+ Self.recordHeaderSize <= bytes.count {
            if isPlausibleRecord(bytes, at: candidate, near: near) {
                let (_, _, captured, _) = recordHeader(bytes, at: candidate)
                let next = candidate &+ Self.recordHeaderSize &+ Int(captured)
                if next &+ Self.recordHeaderSize > bytes.count {
                    return atEnd ? .found(candidate) : .needMore(candidate)
                }
                if isPlausibleRecord(bytes, at: next, near: near) { return .found(candidate) }
            }
            candidate &+= 1
        }
        return atEnd ? .none : .needMore(min(bytes.count, max(firstCandidate, bytes.count - Self.recordHeaderSize + 1)))
    }
}
