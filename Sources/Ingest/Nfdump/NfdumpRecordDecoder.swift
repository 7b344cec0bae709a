public import FlowModel

/// Turns the plain bytes of one nfdump data block into flows.
///
/// Records are `{u16 type, u16 size}` followed by their body; V3 flow records (type 11) carry a 12-byte
/// header (`u16 numElements` at +4) then `numElements` extensions `{u16 type, u16 length}` whose length
/// includes those 4 bytes. Element order is not fixed (nfcapd writes [ipv4, generic, misc, received],
/// nfpcapd [generic, ipv4]), so the walk notes each element's offset and reads them afterwards.
///
/// Reading rules: one bounds check per record and per element header, then unaligned loads of the
/// fixed-size payloads the element length guaranteed. A record whose size runs past the block, a V3
/// record whose elements do not fit in it, or one without addresses or the generic flow element, is
/// counted in
/// ``FlowInputCounters/malformedRecords``; a size that cannot be walked ends the block (the rest counted
/// malformed). Other record types (exporter, sampler, legacy) are counted in
/// ``FlowInputCounters/otherRecords``. nfcapd has already multiplied sampled counts by the sampling
/// rate, so packets and bytes are taken as stored.
enum NfdumpRecordDecoder {
    /// V3 flow record type id.
    static let v3Record: UInt16 = 11
    /// Extension ids read.
    enum Element {
        static let generic: UInt16 = 1
        static let ipv4: UInt16 = 2
        static let ipv6: UInt16 = 3
        static let misc: UInt16 = 4
        static let counters: UInt16 = 5
    }

    /// Decodes a type-3 block (a list of records) of `recordCount` records.
    ///
    /// - Parameters:
    ///   - block: The block's plain payload.
    ///   - recordCount: Records the block header declares.
    ///   - batch: Receives one flow per good V3 record.
    ///   - counters: Updated for every record.
    static func decodeRecords(
        _ block: UnsafeRawBufferPointer, recordCount: UInt32, into batch: inout FlowBatch,
        counters: inout FlowInputCounters
    ) {
        var builder = FlowBatchBuilder(capacity: capacity(block, recordCount: recordCount))
        decodeRecords(block, recordCount: recordCount, into: &builder, counters: &counters)
        batch.append(contentsOf: builder.build())
    }

    /// Room a block's flows need: its record count, but no more than the block can hold (a V3 record is at
    /// least 12 bytes), so a corrupt count cannot make the reader allocate more than the block's size.
    static func capacity(_ block: UnsafeRawBufferPointer, recordCount: UInt32) -> Int {
        min(Int(recordCount), block.count / 12)
    }

    /// Decodes a type-3 block into `builder`, whose capacity must be ``capacity(_:recordCount:)``.
    static func decodeRecords(
        _ block: UnsafeRawBufferPointer, recordCount: UInt32, into batch: inout FlowBatchBuilder,
        counters: inout FlowInputCounters
    ) {
        guard let base = block.baseAddress else { return }
        let end = block.count
        var offset = 0
        var remaining = recordCount
        while remaining > 0 {
            guard offset &+ 4 <= end else { break }
            let type = base.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
            let size = Int(base.loadUnaligned(fromByteOffset: offset &+ 2, as: UInt16.self))
            guard size >= 4, size <= end &- offset else { break }
            remaining &-= 1
            if type == v3Record {
                decodeV3(base + offset, size: size, into: &batch, counters: &counters)
            } else {
                counters.otherRecords &+= 1
            }
            offset &+= size
        }
        counters.malformedRecords &+= UInt64(remaining)
    }

    /// Decodes one V3 record of `size` bytes at `record`.
    @inline(__always)
    static func decodeV3(
        _ record: UnsafeRawPointer, size: Int, into batch: inout FlowBatchBuilder, counters: inout FlowInputCounters
    ) {
        guard size >= 12 else { counters.malformedRecords &+= 1; return }
        let elements = Int(record.loadUnaligned(fromByteOffset: 4, as: UInt16.self))
        var generic = 0, ipv4 = 0, ipv6 = 0, misc = 0, reverse = 0
        var offset = 12
        for _ in 0..<elements {
            guard offset &+ 4 <= size else { counters.malformedRecords &+= 1; return }
            let type = record.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
            let length = Int(record.loadUnaligned(fromByteOffset: offset &+ 2, as: UInt16.self))
            guard length >= 4, length <= size &- offset else { counters.malformedRecords &+= 1; return }
            switch type {
            case Element.generic where length >= 52: generic = offset &+ 4
            case Element.ipv4 where length >= 12: ipv4 = offset &+ 4
            case Element.ipv6 where length >= 36: ipv6 = offset &+ 4
            case Element.misc where length >= 18: misc = offset &+ 4
            case Element.counters where length >= 28: reverse = offset &+ 4
            default: break
            }
            offset &+= length
        }
        guard generic != 0, ipv4 != 0 || ipv6 != 0, batch.hasRoom else { counters.malformedRecords &+= 1; return }
        let src: IPAddress, dst: IPAddress
        if ipv4 != 0 {
            src = IPAddress(v4: record.loadUnaligned(fromByteOffset: ipv4, as: UInt32.self))
            dst = IPAddress(v4: record.loadUnaligned(fromByteOffset: ipv4 &+ 4, as: UInt32.self))
        } else {
            src = IPAddress(high: record.loadUnaligned(fromByteOffset: ipv6, as: UInt64.self),
                            low: record.loadUnaligned(fromByteOffset: ipv6 &+ 8, as: UInt64.self))
            dst = IPAddress(high: record.loadUnaligned(fromByteOffset: ipv6 &+ 16, as: UInt64.self),
                            low: record.loadUnaligned(fromByteOffset: ipv6 &+ 24, as: UInt64.self))
        }
        let first = Int64(bitPattern: record.loadUnaligned(fromByteOffset: generic, as: UInt64.self))
        let last = Int64(bitPattern: record.loadUnaligned(fromByteOffset: generic &+ 8, as: UInt64.self))
        let packets = record.loadUnaligned(fromByteOffset: generic &+ 24, as: UInt64.self)
        let bytes = record.loadUnaligned(fromByteOffset: generic &+ 32, as: UInt64.self)
        var reversePackets: UInt64 = 0, reverseBytes: UInt64 = 0
        if reverse != 0 {
            reversePackets = record.loadUnaligned(fromByteOffset: reverse &+ 8, as: UInt64.self)
            reverseBytes = record.loadUnaligned(fromByteOffset: reverse &+ 16, as: UInt64.self)
        }
        let endReason = misc != 0 ? record.load(fromByteOffset: misc &+ 13, as: UInt8.self) : 0
        batch.appendExported(
            src: src, dst: dst,
            srcPort: record.loadUnaligned(fromByteOffset: generic &+ 40, as: UInt16.self),
            dstPort: record.loadUnaligned(fromByteOffset: generic &+ 42, as: UInt16.self),
            proto: record.load(fromByteOffset: generic &+ 44, as: UInt8.self),
            firstSeenNs: first &* 1_000_000, lastSeenNs: last &* 1_000_000,
            packets: packets, bytes: bytes, reversePackets: reversePackets, reverseBytes: reverseBytes,
            tcpFlags: record.load(fromByteOffset: generic &+ 45, as: UInt8.self),
            endReason: FlowRecord.EndReason(exportedReason: endReason))
        counters.flows &+= 1
        counters.packets &+= packets &+ reversePackets
        counters.bytes &+= bytes &+ reverseBytes
    }
}

/// Decompresses and decodes nfdump blocks; one per worker (it owns a 5 MiB plain buffer and a codec).
public final class NfdumpBlockDecoder: @unchecked Sendable {
    // @unchecked: one decoder is used by one task at a time (the pipeline gives each task its own).
    private let codec: NfdumpBlockCodec
    private let plain: UnsafeMutableRawBufferPointer

    /// Creates a decoder for blocks compressed with `compression`.
    public init(compression: NfdumpCompression) {
        codec = NfdumpBlockCodec(compression: compression)
        plain = .allocate(byteCount: NfdumpFileHeader.maximumBlockSize, alignment: 16)
    }

    deinit { plain.deallocate() }

    /// Decodes `block` of `file` into `batch`.
    ///
    /// - Returns: `nil`, or a description of why the block could not be decompressed (the caller counts
    ///   it as a corrupt block).
    public func decode(
        _ block: NfdumpRawBlock, in file: UnsafeRawBufferPointer, into batch: inout FlowBatch,
        counters: inout FlowInputCounters
    ) -> String? {
        counters.containers &+= 1
        let payload = UnsafeRawBufferPointer(rebasing: file[block.payload])
        let data: UnsafeRawBufferPointer
        if codec.compression == .none {
            data = payload
        } else {
            guard let size = codec.decompress(payload, into: plain) else {
                counters.corruptBlocks &+= 1
                counters.malformedRecords &+= UInt64(block.recordCount)
                return "\(codec.compression.name) block does not decompress within \(NfdumpFileHeader.maximumBlockSize) bytes"
            }
            data = UnsafeRawBufferPointer(rebasing: plain[..<size])
        }
        switch block.type {
        case 3:
            var builder = FlowBatchBuilder(capacity: NfdumpRecordDecoder.capacity(data, recordCount: block.recordCount))
            NfdumpRecordDecoder.decodeRecords(data, recordCount: block.recordCount, into: &builder, counters: &counters)
            if batch.isEmpty { batch = builder.build() } else { batch.append(contentsOf: builder.build()) }
        default:
            // Array blocks (type 4) carry no flow records in nfdump 1.7; legacy type 2 is layout 1.
            counters.otherRecords &+= UInt64(block.recordCount)
        }
        return nil
    }
}

extension NfdumpFile {
    /// Decodes every remaining block on the calling thread (tests, small files; the pipeline decodes blocks
    /// concurrently). Blocks that fail to decompress are noted in ``warnings`` and skipped.
    ///
    /// - Returns: The file's flows, one per V3 record, and the counters.
    public func decodeAll() -> (flows: FlowBatch, counters: FlowInputCounters) {
        let decoder = NfdumpBlockDecoder(compression: header.compression)
        var batch = FlowBatch()
        var counters = FlowInputCounters()
        while let block = nextBlock() {
            if let problem = decoder.decode(block, in: bytes, into: &batch, counters: &counters) {
                noteCorrupt(block, detail: problem)
            }
        }
        counters.corruptBlocks = UInt64(corruptBlocks)
        return (batch, counters)
    }
}
