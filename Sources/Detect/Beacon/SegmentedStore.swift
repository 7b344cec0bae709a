internal import CPrefetch

/// An append-only array kept in fixed-size segments, so growing it never moves what it holds.
///
/// A Swift array that doubles copies every element and, for a moment, holds both the old and the new
/// storage: for the beacon detector's 96-byte pair entries on an archive of 2 M one-off pairs that was
/// 190 MB moved and as much fresh memory touched twice. Here each segment is allocated once at its full
/// size and filled in place; an index is a segment number and an offset.
struct SegmentedStore<Element>: RandomAccessCollection {
    /// Elements per segment (a power of two).
    static var segmentSize: Int { 1 << segmentShift }
    private static var segmentShift: Int { 12 }

    private var segments: [[Element]] = []
    /// The number of elements.
    private(set) var count = 0

    /// Creates an empty store.
    init() {}

    var startIndex: Int { 0 }
    var endIndex: Int { count }

    /// Element `index`.
    subscript(index: Int) -> Element {
        _read {
            precondition(index >= 0 && index < count, "SegmentedStore index out of range")
            yield segments[index >> Self.segmentShift][index & (Self.segmentSize - 1)]
        }
        _modify {
            precondition(index >= 0 && index < count, "SegmentedStore index out of range")
            yield &segments[index >> Self.segmentShift][index & (Self.segmentSize - 1)]
        }
    }

    /// Runs `body` on element `index` in place: one access for several changes to it.
    @inline(__always)
    mutating func update<Result>(_ index: Int, _ body: (inout Element) -> Result) -> Result {
        precondition(index >= 0 && index < count, "SegmentedStore index out of range")
        return body(&segments[index >> Self.segmentShift][index & (Self.segmentSize - 1)])
    }

    /// Hints the CPU to load element `index` (every cache line of it) for writing; nothing for an index
    /// out of range.
    @inline(__always)
    func prefetch(_ index: Int) {
        guard index >= 0 && index < count else { return }
        segments[index >> Self.segmentShift].withUnsafeBufferPointer { segment in
            let start = UnsafeRawPointer(segment.baseAddress! + (index & (Self.segmentSize - 1)))
            medflow_prefetch(start)
            medflow_prefetch(start + (MemoryLayout<Element>.size - 1))
        }
    }

    /// Appends `element` at index ``count``.
    mutating func append(_ element: Element) {
        if count & (Self.segmentSize - 1) == 0 {
            var segment: [Element] = []
            segment.reserveCapacity(Self.segmentSize)
            segments.append(segment)
        }
        segments[segments.count - 1].append(element)
        count += 1
    }
}

extension SegmentedStore: Sendable where Element: Sendable {}
