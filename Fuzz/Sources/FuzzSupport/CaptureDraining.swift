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
        precondition(counters.frames == UInt64(chunk.recordCount), "a chunk decoded to more or fewer frames than it holds")
        precondition(counters.appended + counters.skipped == counters.frames, "counters do not add up")
        precondition(UInt64(batch.count) == counters.appended, "rows and counters disagree")
        total.merge(counters)
    }
    _ = reader.warnings
    return total
}
