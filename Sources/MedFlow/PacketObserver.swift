public import FlowModel

/// Something that wants decoded packets, not only finished flows (e.g. intra-flow beacon bursts).
///
/// ``Pipeline`` calls ``observe(_:)`` on its driving thread with every decoded batch, batches in file
/// order and packets in capture order within a batch, before the batch's packets reach the flow table.
/// Work is per batch: keep the call cheap.
public protocol PacketObserver: AnyObject {
    /// Takes one decoded batch.
    func observe(_ packets: PacketBatch)
}
