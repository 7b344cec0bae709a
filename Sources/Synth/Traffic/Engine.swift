import Output

/// Something that emits packets or starts conversations at ``nextTime``: a conversation, a stream or a source.
protocol Actor: AnyObject {
    /// When the actor acts next (ns since the epoch).
    var nextTime: Int64 { get }
    /// Acts once at ``nextTime``: writes at most one packet or spawns actors. Returns whether it acts again.
    func step(_ engine: Engine) throws(OutputError) -> Bool
}

/// Merges every actor's packets into one time-ordered capture with a binary heap.
///
/// Ties are broken by the order actors were added, so the output depends on the seed alone. Memory is
/// bounded by the number of live conversations, not by the length of the capture.
final class Engine {
    let builder: FrameBuilder
    let writer: CaptureWriter
    /// Capture end: actors due later are dropped.
    let end: Int64
    /// Heap entries are plain values (the actor is a slot number), so sifting moves no references.
    private struct Entry {
        var time: Int64
        var order: UInt64
        var slot: Int
    }

    private var heap: [Entry] = []
    private var actors: [(any Actor)?] = []
    private var freeSlots: [Int] = []
    private var order: UInt64 = 0

    init(builder: FrameBuilder, writer: CaptureWriter, end: Int64) {
        self.builder = builder
        self.writer = writer
        self.end = end
    }

    /// Adds an actor; it acts first at its ``Actor/nextTime``.
    func add(_ actor: any Actor) {
        guard actor.nextTime < end else { return }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            actors[slot] = actor
        } else {
            slot = actors.count
            actors.append(actor)
        }
        push(Entry(time: actor.nextTime, order: 0, slot: slot))
    }

    private func push(_ entry: Entry) {
        order += 1
        var entry = entry
        entry.order = order
        heap.append(entry)
        siftUp(heap.count - 1)
    }

    /// Writes the frame the builder just finished, at `time`.
    func emit(at time: Int64) throws(OutputError) -> Int {
        let frame = builder.finish()
        try writer.write(time: time, frame: builder.buffer, capturedLength: frame.capturedLength,
                         wireLength: frame.wireLength)
        return frame.wireLength
    }

    /// Runs every actor until the heap is empty or the capture ends.
    func run() throws(OutputError) {
        while let top = heap.first, top.time < end {
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                siftDown(0)
            }
            // Popped before it acts, so actors it spawns (never earlier than now) cannot disturb the heap.
            let actor = actors[top.slot]!
            if try actor.step(self), actor.nextTime < end {
                push(Entry(time: actor.nextTime, order: 0, slot: top.slot))
            } else {
                actors[top.slot] = nil
                freeSlots.append(top.slot)
            }
        }
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        heap[a].time < heap[b].time || (heap[a].time == heap[b].time && heap[a].order < heap[b].order)
    }

    private func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var best = left
            if left + 1 < heap.count, less(left + 1, left) { best = left + 1 }
            guard less(best, parent) else { return }
            heap.swapAt(best, parent)
            parent = best
        }
    }
}

/// Counts what a planted or benign pair actually put into the capture, for the truth file.
final class Tally {
    /// Connection (or burst) starts written.
    var connections = 0
    /// Messages the initiator started (an intra-flow channel's check-ins are its messages after the first).
    var clientMessages = 0
    /// Wire bytes from the initiator.
    var bytesOut: UInt64 = 0
    /// Wire bytes to the initiator.
    var bytesIn: UInt64 = 0
    /// First and last packet times.
    var firstSeen: Int64 = .max
    var lastSeen: Int64 = .min

    func saw(_ time: Int64, bytes: Int, outbound: Bool) {
        firstSeen = min(firstSeen, time)
        lastSeen = max(lastSeen, time)
        if outbound { bytesOut += UInt64(bytes) } else { bytesIn += UInt64(bytes) }
    }
}
