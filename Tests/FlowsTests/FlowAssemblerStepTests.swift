import FlowModel
import Testing

@testable import Flows

/// Steps handed to shards that work on threads of their own, with each packet's key hashed ahead (as the
/// decoding tasks do) and collected one step late as the pipeline does, give exactly what adding them one
/// at a time gives.
@Suite("Flow assembler steps")
struct FlowAssemblerStepTests {
    /// Many short connections over a minute, cut into steps of a few hundred packets: flows end (FIN,
    /// idle) in many steps, and burst starts are noted.
    static func steps() -> [PacketBatch] {
        var script = PacketScript()
        for i in 0..<400 { script.connection(at: Double(i) * 0.15, clientPort: UInt16(20000 + i)) }
        for i in 0..<300 { script.udp(Double(i) * 0.2) }
        // Fragmented datagrams: the later pieces carry no ports and take them from the first.
        for i in 0..<50 {
            let t = Int64(Double(i) * 1.1e9), id = UInt32(100 + i)
            script.batch.append(timestamp: t, src: PacketScript.client, dst: PacketScript.server, srcPort: 5000,
                                dstPort: 53, proto: TransportProtocol.udp, flags: .fragment, wireLength: 1514, fragmentID: id)
            script.batch.append(timestamp: t + 1000, src: PacketScript.client, dst: PacketScript.server, srcPort: 0,
                                dstPort: 0, proto: TransportProtocol.udp, flags: [.fragment, .laterFragment],
                                wireLength: 600, fragmentID: id)
        }
        let all = script.batch
        let order = (0..<all.count).sorted { (all.timestamp[$0], $0) < (all.timestamp[$1], $1) }
        var steps: [PacketBatch] = []
        for start in stride(from: 0, to: order.count, by: 317) {
            var step = PacketBatch()
            for i in order[start..<min(order.count, start + 317)] {
                step.append(timestamp: all.timestamp[i], src: IPAddress(high: all.srcHigh[i], low: all.srcLow[i]),
                            dst: IPAddress(high: all.dstHigh[i], low: all.dstLow[i]), srcPort: all.srcPort[i],
                            dstPort: all.dstPort[i], proto: all.proto[i],
                            flags: PacketBatch.Flags(rawValue: all.flags[i]), tcpFlags: all.tcpFlags[i],
                            wireLength: all.wireLength[i], fragmentID: all.fragmentID[i])
            }
            steps.append(step)
        }
        return steps
    }

    static let configuration = FlowConfiguration(idleTimeout: 1, burstGap: 0.05)

    @Test("submit with keys (and time ranges) worked out ahead, then collect the step before: the same flows and burst starts as add",
          arguments: [1, 2, 3])
    func pipelined(shards: Int) {
        let steps = Self.steps()
        let reference = FlowAssembler(configuration: Self.configuration, shards: shards, threads: false)
        var expected: [FlowBatch] = [], expectedStarts: [[BurstStart]] = []
        for step in steps {
            expected.append(reference.add([step], shardIndices: [reference.shardIndices(for: step)]))
            expectedStarts.append(reference.takeBurstStarts())
        }
        let threaded = FlowAssembler(configuration: Self.configuration, shards: shards, threads: true)
        var actual: [FlowBatch] = [], actualStarts: [[BurstStart]] = []
        var pending: FlowAssembler.Step?
        for step in steps {
            let keys = threaded.keys(for: step)
            #expect(keys.earliest == step.timestamp.min() ?? .max && keys.latest == step.timestamp.max() ?? .min)
            let submitted = threaded.submit([step], keys: [keys])
            if let pending {
                let (flows, starts) = threaded.collect(pending)
                actual.append(flows)
                actualStarts.append(starts)
            }
            pending = submitted
        }
        if let pending {
            let (flows, starts) = threaded.collect(pending)
            actual.append(flows)
            actualStarts.append(starts)
        }
        #expect(actual.map(\.records) == expected.map(\.records))
        #expect(actualStarts == expectedStarts)
        #expect(expected.reduce(0) { $0 + $1.count } > 300 && expectedStarts.joined().count > 100)
        #expect(threaded.openFlows == reference.openFlows)
        #expect(threaded.finish().records == reference.finish().records)
    }

    /// Keys from the hashes a decoding loop worked out (``PacketKeyHashes``) are the keys worked out from the
    /// columns, fragments included, for one shard and several.
    @Test(arguments: [1, 3])
    func keysFromDecodedHashesEqualKeysFromColumns(shards: Int) {
        let assembler = FlowAssembler(configuration: Self.configuration, shards: shards)
        for batch in Self.steps() {
            var hashed = PacketKeyHashes()
            for i in 0..<batch.count {
                let flags = PacketBatch.Flags(rawValue: batch.flags[i])
                let key = FlowKeyHash.packet(
                    src: IPAddress(high: batch.srcHigh[i], low: batch.srcLow[i]), srcPort: batch.srcPort[i],
                    dst: IPAddress(high: batch.dstHigh[i], low: batch.dstLow[i]), dstPort: batch.dstPort[i],
                    proto: flags.contains(.link) ? 0x100 : UInt16(batch.proto[i]))
                hashed.hashes.append(flags.contains(.fragment) ? 0 : key.hash)
                hashed.srcFirst.append(flags.contains(.fragment) ? false : key.srcFirst)
                hashed.earliest = min(hashed.earliest, batch.timestamp[i])
                hashed.latest = max(hashed.latest, batch.timestamp[i])
            }
            let fromColumns = assembler.keys(for: batch), fromHashes = assembler.keys(for: batch, hashed: hashed)
            #expect(fromHashes.shards == fromColumns.shards && fromHashes.hashes == fromColumns.hashes)
            #expect(fromHashes.srcFirst == fromColumns.srcFirst)
            #expect(fromHashes.earliest == fromColumns.earliest && fromHashes.latest == fromColumns.latest)
            // Hashes of another batch are not taken.
            hashed.hashes.removeLast()
            #expect(assembler.keys(for: batch, hashed: hashed).hashes == fromColumns.hashes)
        }
    }
}
