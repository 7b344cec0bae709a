import Benchmark
import Detect
import FlowModel
import Flows
import Foundation
import Ingest
import MedFlow
import Output
import Synth

// Stage-by-stage throughput of the capture pipeline, each on 1 M items per iteration, so the
// "throughput (# / s)" metric times one million is items per second and the wall clock is the time
// per million. The input is a `medflow synth --scenario bulk` capture (the `Synth` library), written
// once per process to a temporary directory with its policy.

/// A 1 M-packet bulk capture at snaplen 128 (about 120 MB) written once, and its policy.
enum BulkCapture {
    static let packets = 1_000_000
    static let directory: String = {
        let path = NSTemporaryDirectory() + "medflow-benchmarks-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
    static let path: String = {
        let path = directory + "/bulk.pcap"
        _ = try! Synthesizer.run(SynthOptions(scenario: .bulk, output: path, snaplen: 128, packets: packets))
        return path
    }()
    static var policyPath: String { directory + "/bulk.policy.yaml" }

    /// The capture's records as chunks of about 4 MB, read into memory once.
    static let chunks: [RecordChunk] = {
        let reader = try! MappedPcapReader(path: path)
        var chunks: [RecordChunk] = []
        while let chunk = try! reader.nextChunk(targetBytes: 4 << 20) { chunks.append(chunk) }
        return chunks
    }()

    /// The capture decoded, in batches as the pipeline makes them.
    static let batches: [PacketBatch] = {
        let reader = try! MappedPcapReader(path: path)
        let decoder = PacketDecoder(linkType: reader.linkType)
        return chunks.map { chunk in
            var batch = PacketBatch(capacity: chunk.recordCount)
            var counters = DecodeCounters()
            var filtered: UInt64 = 0
            chunk.decode(with: decoder, filter: nil, into: &batch, counters: &counters, filteredOut: &filtered)
            return batch
        }
    }()

    /// The capture's flows (about 46 k), as the flow stage delivers them.
    static let flows: [FlowBatch] = {
        let assembler = FlowAssembler(shards: 1)
        var out: [FlowBatch] = []
        for batch in batches {
            let flows = assembler.add([batch], shardIndices: [assembler.shardIndices(for: batch)])
            if !flows.isEmpty { out.append(flows) }
        }
        out.append(assembler.finish())
        return out
    }()

    /// `count` flows: the capture's flows repeated, each copy shifted by an hour so pairs recur.
    static func flows(count: Int) -> [FlowBatch] {
        var result: [FlowBatch] = []
        var total = 0
        var shift: Int64 = 0
        while total < count {
            for batch in flows where total < count {
                var copy = batch
                let keep = min(copy.count, count - total)
                if keep < copy.count { copy = copy.gathered(Array(0..<keep)) }
                copy.firstSeen = copy.firstSeen.map { $0 + shift }
                copy.lastSeen = copy.lastSeen.map { $0 + shift }
                result.append(copy)
                total += keep
            }
            shift += 3_600_000_000_000
        }
        return result
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .peakMemoryResident],
                                           maxDuration: .seconds(20), maxIterations: 10)

    Benchmark("decode: 1 M bulk packets (pcap records -> packet batches)") { benchmark in
        let chunks = BulkCapture.chunks
        let decoder = PacketDecoder(linkType: .ethernet)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var packets = 0
            for chunk in chunks {
                var batch = PacketBatch(capacity: chunk.recordCount)
                var counters = DecodeCounters()
                var filtered: UInt64 = 0
                chunk.decode(with: decoder, filter: nil, into: &batch, counters: &counters, filteredOut: &filtered)
                packets += batch.count
            }
            blackHole(packets)
        }
    }

    // Reading and decoding the mapped file on one thread: walking every record header to find where
    // each chunk ends, then decoding (which walks them again), against guessing each end and letting the
    // decoding walk check it (MappedPcapReader.guessesChunkEnds, the pipeline's default).
    for guessing in [false, true] {
        Benchmark("read + decode: 1 M bulk packets from the mapped file, chunk ends \(guessing ? "guessed" : "walked")") {
            benchmark in
            let path = BulkCapture.path
            let decoder = PacketDecoder(linkType: .ethernet)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let reader = try! MappedPcapReader(path: path)
                reader.guessesChunkEnds = guessing
                var packets = 0
                while let chunk = try! reader.nextChunk(targetBytes: 4 << 20) {
                    var batch = PacketBatch()
                    var counters = DecodeCounters()
                    var filtered: UInt64 = 0
                    var dns: [DNSAnswer]? = nil
                    var keys: PacketKeyHashes? = PacketKeyHashes()
                    let walk = chunk.decode(with: decoder, filter: nil, into: &batch, counters: &counters,
                                            filteredOut: &filtered, dns: &dns, keys: &keys)
                    if chunk.guessedRecords != nil && !walk.confirmsEnd(of: chunk) {
                        reader.resume(at: walk.endOffset, after: walk.lastSeconds)
                    }
                    packets += batch.count
                }
                precondition(packets == BulkCapture.packets)
                blackHole(packets)
            }
        }
    }

    Benchmark("flow table: 1 M bulk packets into flows (1 shard)") { benchmark in
        let batches = BulkCapture.batches
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let assembler = FlowAssembler(shards: 1)
            var flows = 0
            for batch in batches {
                flows += assembler.add([batch], shardIndices: [assembler.shardIndices(for: batch)]).count
            }
            flows += assembler.finish().count
            blackHole(flows)
        }
    }

    Benchmark("egress matching: 1 M flows against the bulk policy") { benchmark in
        let flows = BulkCapture.flows(count: 1_000_000)
        let policy = CompiledPolicy(try! PolicyReader.read(path: BulkCapture.policyPath))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var detector = EgressDetector(policy: policy)
            for batch in flows { detector.consume(batch) }
            blackHole(detector.finish().count)
        }
    }

    for (name, format, compression, file) in [("NDJSON, zstd", OutputFormat.ndjson, OutputCompression.zstd, "flows.ndjson.zst"),
                                              ("CSV, lz4", .csv, .lz4, "flows.csv.lz4")] {
        Benchmark("writers: 1 M flows as \(name)") { benchmark in
            let flows = BulkCapture.flows(count: 1_000_000)
            let path = BulkCapture.directory + "/" + file
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let writer = try! FlowFileWriter(path: path, format: format, compression: compression)
                for batch in flows { try! writer.consume(batch) }
                try! writer.finish()
                blackHole(writer.flowsWritten)
            }
        }
    }
}
