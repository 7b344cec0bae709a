/// A reader of one capture file that hands out whole records in chunks.
public protocol CaptureReader: AnyObject {
    /// The link type of every record.
    var linkType: LinkType { get }
    /// The container format, for reports: `pcap`, `pcapng`.
    var formatName: String { get }
    /// Non-fatal problems found so far, such as a truncated last record.
    var warnings: [ParseError] { get }
    /// Returns the next run of records of about `targetBytes` bytes, or `nil` at the end of the file.
    ///
    /// - Throws: `ParseError` when the file is damaged beyond the records read so far.
    func nextChunk(targetBytes: Int) throws(ParseError) -> RecordChunk?
}
