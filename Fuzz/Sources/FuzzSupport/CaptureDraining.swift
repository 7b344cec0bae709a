import FlowModel
public import Ingest

/// Reads every chunk of `reader` and decodes its records with ``PacketDecoder`` (DNS answers included),
/// checking the bookkeeping on the way: every record of a chunk is offered to the decoder once, lands in
/// exactly one counter, and gives one row when it is appended.
///
/// - Parameters:
///   - reader: An open capture reader.
///   - targetBytes: The chunk size asked for; small values exercise records that straddle chunks.
/// - Returns: The counters over every chunk.
/// - Throws: What the reader throws.
public func decodeAll(_ reader: any CaptureReader, targetBytes: Int) throws(ParseError) -> DecodeCounters {
    let decoder = PacketDecoder(linkType: reader.linkType)
    var total = DecodeCounters()
    while let chunk = try reader.nextChunk(targetBytes: targetBytes) {
        precondition(chunk.recordCount > 0, "a chunk without records")
        var batch = PacketBatch()
        var counters = DecodeCounters()
        var filtered: UInt64 = 0
        var dns: [DNSAnswer]? = []
        chunk.decode(with: decoder, filter: nil, into: &batch, counters: &counters, filteredOut: &filtered,
                     dns: &dns)
        checkBookkeeping(counters, records: chunk.recordCount, rows: batch.count)
        total.merge(counters)
    }
    _ = reader.warnings
    return total
}

/// Reads every record of `reader` as the pipeline does, with chunk ends guessed
/// (``MappedPcapReader/guessesChunkEnds``) and each guess checked by the decoding walk: a chunk whose walk
/// does not confirm its end is kept up to where the walk stopped, and reading resumes there. Checks the
/// same bookkeeping as ``decodeAll(_:targetBytes:)``, with the walk's record count for a guessed chunk.
///
/// - Returns: The counters over every chunk.
/// - Throws: What the reader throws.
public func decodeAllGuessing(_ reader: MappedPcapReader, targetBytes: Int) throws(ParseError) -> DecodeCounters {
    reader.guessesChunkEnds = true
    let decoder = PacketDecoder(linkType: reader.linkType)
    var total = DecodeCounters()
    while let chunk = try reader.nextChunk(targetBytes: targetBytes) {
        var batch = PacketBatch()
        var counters = DecodeCounters()
        var filtered: UInt64 = 0
        var dns: [DNSAnswer]? = []
        var keys: PacketKeyHashes? = PacketKeyHashes()
        let walk = chunk.decode(with: decoder, filter: nil, into: &batch, counters: &counters, filteredOut: &filtered,
                                dns: &dns, keys: &keys)
        let confirmed = walk.confirmsEnd(of: chunk)
        if chunk.guessedRecords == nil {
            precondition(confirmed && walk.records == chunk.recordCount, "a walked chunk's walk disagrees with it")
        } else if !confirmed {
            reader.resume(at: walk.endOffset, after: walk.lastSeconds)
        }
        checkBookkeeping(counters, records: walk.records, rows: batch.count)
        if let keys { precondition(keys.hashes.count == batch.count, "key hashes and rows disagree") }
        total.merge(counters)
    }
    return total
}

/// Checks one chunk's decoding: every one of its `records` records was offered to the decoder once and
/// landed in exactly one counter, and each appended one gave one of the batch's `rows`.
private func checkBookkeeping(_ counters: DecodeCounters, records: Int, rows: Int) {
    precondition(counters.frames == UInt64(records), "a chunk decoded to more or fewer frames than it holds")
    precondition(counters.appended + counters.skipped == counters.frames, "counters do not add up")
    precondition(UInt64(rows) == counters.appended, "rows and counters disagree")
}
