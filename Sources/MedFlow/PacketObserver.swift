public import FlowModel

/// Something that wants decoded packets, not only finished flows (e.g. intra-flow beacon bursts).
///
/// ``Pipeline`` calls ``observe(_:)`` with every decoded batch, batches in file order and packets in
/// capture order within a batch, one call at a time, on a background queue of the observers' own (with
/// more than one worker). The same object may also be a ``FlowSink``: its flow calls come on another
/// queue at the same time, so an observer keeps its packet state apart from its flow state and reads both
/// only in ``FlowSink/finish()``, which comes after every observe call has returned.
public protocol PacketObserver: AnyObject {
    /// Takes one decoded batch.
    func observe(_ packets: PacketBatch)
}
