/// Where decoding a ``RecordChunk`` stopped walking its records, and why: what checks a chunk end that
/// was guessed rather than walked (``MappedPcapReader/guessesChunkEnds``).
public struct RecordWalk: Sendable, Equatable {
    /// Why the walk stopped.
    public enum Stop: Sendable, Equatable {
        /// At the first record boundary at or past the chunk's end.
        case reachedEnd
        /// At a record header that is not sane (captured length over the limit, or timestamp fraction out of
        /// range), as ``PcapFileHeader/scanRecords(_:from:targetBytes:baseOffset:)`` judges it.
        case damaged
        /// At a record that runs past the end of the data.
        case cutShort
    }

    /// Records read (decoded, filtered out or not decodable).
    public var records = 0
    /// File offset of the first record read.
    public let startOffset: Int
    /// File offset just past the last record read: where the next record begins.
    public var endOffset: Int
    /// The seconds field of the last record read, if any.
    public var lastSeconds: UInt32?
    /// Why the walk stopped.
    public var stop = Stop.reachedEnd

    /// A walk that has read nothing yet, from `startOffset`.
    public init(startOffset: Int) {
        self.startOffset = startOffset
        endOffset = startOffset
    }

    /// The bytes of the records read.
    public var bytes: Int { endOffset - startOffset }

    /// Whether the walk ended exactly at `chunk`'s end, at nothing damaged: then the next chunk, if it
    /// starts there, starts at a record boundary. A chunk whose end was guessed holds exactly the records
    /// read when this is true; otherwise the records read are right (the chunk started at a boundary) and
    /// the next one begins at ``endOffset``, not where the next chunk was guessed to begin.
    public func confirmsEnd(of chunk: RecordChunk) -> Bool {
        stop == .reachedEnd && endOffset == chunk.fileOffset + chunk.range.count
    }
}
