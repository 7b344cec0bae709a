public import FlowModel

/// A sink that also wants the burst starts the flow table notes (intra-flow beacons).
///
/// ``Pipeline`` sets the flow table's burst gap to the smallest ``burstGap`` of its burst sinks and calls
/// ``consume(_:)-(BurstStart)`` on the sinks' queue with each step's burst starts before that step's flows, so a
/// flow's starts always arrive before the flow itself.
public protocol BurstStartSink: FlowSink {
    /// The quiet time that starts a burst, ns.
    var burstGap: Int64 { get }
    /// Takes one step's burst starts (a 5-tuple's in time order).
    func consume(_ starts: [BurstStart])
}
