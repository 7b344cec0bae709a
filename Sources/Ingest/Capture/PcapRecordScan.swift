internal import CPrefetch

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
        let fractionLimit = timestampFractionLimit
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
              fraction < timestampFractionLimit else { return false }
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

extension PcapFileHeader {
    /// A guess at where a record begins, at or after `candidate`: the first offset from which `chainLength`
    /// plausible records (``isPlausibleRecord(_:at:near:)``) follow one another inside `bytes`, trying
    /// offsets up to `window` bytes past `candidate`. `nil` when there is none.
    ///
    /// Only a guess: bytes inside a record can look like such a chain (a capture of someone copying a
    /// pcap file). Whoever uses it checks it, by walking up to it from a known boundary.
    func guessRecordBoundary(_ bytes: UnsafeRawBufferPointer, from candidate: Int, window: Int, near: UInt32,
                             chainLength: Int) -> Int? {
        var start = candidate
        let last = min(candidate + window, bytes.count)
        candidates: while start < last {
            var at = start
            for _ in 0..<chainLength {
                guard isPlausibleRecord(bytes, at: at, near: near) else {
                    start &+= 1
                    continue candidates
                }
                at &+= Self.recordHeaderSize &+ Int(recordHeader(bytes, at: at).2)
                guard at <= bytes.count else {  // the chain runs past the bytes at hand
                    start &+= 1
                    continue candidates
                }
            }
            return start
        }
        return nil
    }

    /// The average size of the first `count` records from `start` (a record boundary), header included,
    /// walked with the checks of ``scanRecords(_:from:targetBytes:baseOffset:)``; `nil` when not one
    /// whole, sane record is there.
    func averageRecordSize(_ bytes: UnsafeRawBufferPointer, from start: Int, count: Int) -> Int? {
        var at = start
        var taken = 0
        while taken < count, at &+ Self.recordHeaderSize <= bytes.count {
            let (_, fraction, captured, _) = recordHeader(bytes, at: at)
            let next = at &+ Self.recordHeaderSize &+ Int(captured)
            guard captured <= Self.maximumRecordLength, fraction < timestampFractionLimit, next <= bytes.count else {
                break
            }
            at = next
            taken &+= 1
        }
        return taken > 0 ? (at &- start) / taken : nil
    }
}
