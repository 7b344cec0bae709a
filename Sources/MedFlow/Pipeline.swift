import FlowModel
public import Flows
public import Ingest
internal import Dispatch
internal import Foundation

/// Options of a pipeline run.
public struct PipelineOptions: Sendable {
    /// Files, directories and patterns to read.
    public var inputs: [String]
    /// A BPF expression applied to every capture input.
    public var filter: String?
    /// Concurrent workers (decoding and flow shards).
    public var workers: Int
    /// Flow timeouts.
    public var flows: FlowConfiguration
    /// Bytes of records per decoding task.
    public var chunkBytes: Int
    /// What the inputs are; `auto` decides per file from its content.
    public var inputFormat: InputFormat = .auto
    /// The collector port of export traffic in captures (`nil`: found from the payloads).
    public var exportPort: UInt16?
    /// How unidirectional flow-export records are paired into bidirectional flows.
    public var pairing = FlowPairingConfiguration()
    /// Stop at the first input that cannot be read; by default such a file is reported as failed in the
    /// summary and the other inputs are still analysed.
    public var strict = false
    /// From this many flows on, a batch given to the beacon sink whole reaches its detector and burst
    /// tracker side by side (``BeaconSink``; tests lower it).
    var sideBySideFlushFlows = FlowBatch.parallelGatherThreshold
    /// Flow-table slots per block of the end-of-input flush (at seven eighths full about 115 k flows, 10 MB).
    var flushBlockSlots = 1 << 17
    /// Whether a mapped pcap file's chunk ends are guessed and checked by the decoders instead of walked
    /// ahead of them (``MappedPcapReader/guessesChunkEnds``; tests compare both).
    var guessChunkEnds = true

    /// Creates options; `workers` defaults to the core count.
    public init(inputs: [String], filter: String? = nil, workers: Int? = nil,
                flows: FlowConfiguration = FlowConfiguration(), chunkBytes: Int = 4 << 20) {
        self.inputs = inputs
        self.filter = filter
        self.workers = max(1, min(255, workers ?? ProcessInfo.processInfo.activeProcessorCount))
        self.flows = flows
        self.chunkBytes = chunkBytes
    }
}

/// Reads inputs, decodes packets and assembles flows, handing finished flows to sinks.
///
/// Each step reads up to two chunks per worker from the current file, decodes them concurrently (one
/// task per chunk), then updates the flow shards concurrently (one task per shard), then passes the
/// flows that ended to the sinks. Files are processed one after another in order of their first
/// timestamp, so a rotated archive is one timeline.
public final class Pipeline {
    let options: PipelineOptions
    private let assembler: FlowAssembler
    /// Pairs the unidirectional records of flow inputs (one pairer for all files: a rotated archive splits
    /// connections across files).
    let pairer: FlowPairer
    /// Each input's kind, detected once.
    var kinds: [String: InputKind] = [:]
    private var filters: [LinkType: PacketFilter] = [:]
    /// The input being read when it failed, with what it held up to the failure.
    var partial: InputReport?
    /// Receive the burst starts the flow table notes, each step's before its flows (``BurstStartSink``).
    let burstSinks: [any BurstStartSink]

    /// Creates a pipeline.
    ///
    /// - Parameters:
    ///   - options: What to read and how.
    ///   - burstSinks: Sinks (also passed to ``run(sinks:progress:)``) that want burst starts; the flow
    ///     table notes them with the smallest of their gaps.
    public init(options: PipelineOptions, burstSinks: [any BurstStartSink] = []) {
        self.options = options
        self.burstSinks = burstSinks
        var flows = options.flows
        if let gap = burstSinks.map(\.burstGap).min(), gap < .max { flows.burstGap = gap }
        assembler = FlowAssembler(configuration: flows, shards: max(1, options.workers - 1), threads: options.workers > 1)
        pairer = FlowPairer(configuration: options.pairing, shards: options.workers)
    }

    /// Runs to the end of the inputs.
    ///
    /// - Parameters:
    ///   - sinks: Receive every finished flow batch, in order.
    ///   - progress: Called after each step.
    public func run(sinks: [any FlowSink], progress: ((ProgressSnapshot) -> Void)? = nil) throws(AnalysisError) -> PipelineReport {
        let start = DispatchTime.now()
        var report = PipelineReport()
        let paths: [String]
        do { paths = try InputPaths.expand(options.inputs) } catch { throw .input(error) }
        guard !paths.isEmpty else { throw .usage("no input files") }
        var failures: [AnalysisError] = []
        assembler.ordersByFirstSeen = sinks.contains { $0.wantsFirstSeenOrder }
        let ordered = try orderByFirstTimestamp(paths, report: &report, failures: &failures)
        var packetsSoFar: UInt64 = 0, bytesSoFar: UInt64 = 0
        for (index, path) in ordered.enumerated() {
            let step: (UInt64, UInt64) -> Void = { packets, bytes in
                progress?(ProgressSnapshot(filesDone: index, filesTotal: ordered.count, packets: packetsSoFar + packets,
                                           bytes: bytesSoFar + bytes, elapsed: seconds(since: start)))
            }
            var input: InputReport
            do throws(AnalysisError) {
                let kind = try inputKind(path)
                input = kind.holdsFlows
                    ? try processFlowInput(path, kind: kind, report: &report, sinks: sinks, progress: step)
                    : try process(path, report: &report, sinks: sinks, progress: step)
            } catch {
                // A file that cannot be read (any more) fails alone unless --strict: the others go on.
                guard case .input = error, !options.strict else { throw error }
                failures.append(error)
                input = partial ?? InputReport(path: path, format: "unknown", compression: compressionName(path),
                                               linkType: "", fileBytes: fileSize(path))
                input.failure = error.description
            }
            partial = nil
            packetsSoFar += input.records
            bytesSoFar += input.fileBytes
            input.warnings = input.warnings.map { "\(path): \($0)" }
            report.inputs.append(input)
        }
        if let first = failures.first, !report.inputs.contains(where: { $0.failure == nil }) { throw first }
        // The flows still open end now, a block at a time (on a short capture, all of them). With several
        // workers each sink, and each part of a sink that splits its work (``FlowSink/sideBySideParts``),
        // takes the blocks on a queue of its own while the next block is exported: the sinks share no
        // state, so they work side by side instead of one after another on one core.
        let flushStart = DispatchTime.now()
        var flushDelivery = 0.0
        let flushFeeder = options.workers > 1 ? SinkFeeder(partsOf: sinks, queued: 1) : nil
        do throws(AnalysisError) {
            try assembler.finish(parallelism: options.workers, blockSlots: options.flushBlockSlots) {
                (block: FlowBatch) throws(AnalysisError) in
                let deliveryStart = DispatchTime.now()
                defer { flushDelivery += seconds(since: deliveryStart) }
                if let flushFeeder {
                    tally(block, report: &report)
                    flushFeeder.feed(block)
                } else {
                    try deliver(block, to: sinks, report: &report)
                }
            }
        } catch {
            _ = try? flushFeeder?.drain()  // the sinks are idle again before the error leaves
            throw error
        }
        if let flushFeeder {
            let drainStart = DispatchTime.now()
            report.sinkSeconds += try flushFeeder.drain()
            flushDelivery += seconds(since: drainStart)
        }
        report.flowSeconds += seconds(since: flushStart) - flushDelivery
        report.evictedFlows = assembler.evictedFlows
        try deliver(measure(&report.flowSeconds) { pairer.finish() }, to: sinks, report: &report)
        try measure(&report.sinkSeconds) { () throws(AnalysisError) in for sink in sinks { try sink.finish() } }
        report.wallSeconds = seconds(since: start)
        return report
    }

    /// Opens each file, reads its first record's time, and sorts (files without records last). A file
    /// that cannot be opened is reported as failed and left out, unless `--strict`.
    private func orderByFirstTimestamp(_ paths: [String], report: inout PipelineReport,
                                       failures: inout [AnalysisError]) throws(AnalysisError) -> [String] {
        guard paths.count > 1 else { return paths }
        var keyed: [(Int64, Int, String)] = []
        for (index, path) in paths.enumerated() {
            do {
                let first = try firstTimestamp(path)
                keyed.append((first ?? .max, index, path))
            } catch {
                let failure = AnalysisError.input(InputError(path: path, underlying: error))
                if options.strict { throw failure }
                failures.append(failure)
                var input = InputReport(path: path, format: "unknown", compression: compressionName(path), linkType: "",
                                        fileBytes: fileSize(path))
                input.failure = failure.description
                report.inputs.append(input)
            }
        }
        return keyed.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }

    /// Reads one capture to the end. The sinks work on a background queue
    /// (``SinkFeeder``) while the next step is decoded and assembled.
    private func process(_ path: String, report: inout PipelineReport, sinks: [any FlowSink],
                         progress: (UInt64, UInt64) -> Void) throws(AnalysisError) -> InputReport {
        let feeder = SinkFeeder(sinks: sinks, background: options.workers > 1)
        let input: InputReport
        do {
            input = try read(path, report: &report, sinks: sinks, feeder: feeder, progress: progress)
        } catch {
            _ = try? feeder.drain()  // the sinks are idle again before the error leaves
            throw error
        }
        report.sinkSeconds += try feeder.drain()
        return input
    }

    private func read(_ path: String, report: inout PipelineReport, sinks: [any FlowSink], feeder: SinkFeeder,
                      progress: (UInt64, UInt64) -> Void) throws(AnalysisError) -> InputReport {
        var input: InputReport?
        defer { partial = input }  // what was read before a failure still counts
        return try read(path, into: &input, report: &report, sinks: sinks, feeder: feeder, progress: progress)
    }

    private func read(_ path: String, into partialInput: inout InputReport?, report: inout PipelineReport,
                      sinks: [any FlowSink], feeder: SinkFeeder,
                      progress: (UInt64, UInt64) -> Void) throws(AnalysisError) -> InputReport {
        let reader: any CaptureReader
        do { reader = try CaptureFile.open(path: path) } catch { throw .input(InputError(path: path, underlying: error)) }
        let filter = try compiledFilter(for: reader.linkType)
        let decoder = PacketDecoder(linkType: reader.linkType)
        var input = InputReport(path: path, format: reader.formatName, compression: compressionName(path),
                                linkType: reader.linkType.description, fileBytes: fileSize(path))
        /// The reader's warnings and skipped regions, added once the reading stops (at the end or failing).
        func finished(_ input: InputReport) -> InputReport {
            var input = input
            input.warnings = reader.warnings.map(\.description)
            for case .skipped(_, let bytes, _) in reader.warnings {
                input.damagedRegions += 1
                input.damagedBytes += UInt64(bytes)
            }
            return input
        }
        defer { partialInput = finished(input) }
        let perStep = options.workers == 1 ? 1 : options.workers * 2
        let dnsSinks = sinks.compactMap { $0 as? any DNSAnswerSink }
        var decodedBytes: UInt64 = 0
        // Three steps are in flight: the one after next is read (pages mapped and chunk ends guessed, or
        // record headers walked, or decompressed), the next one decoded (its guesses checked), and this one
        // assembled into flows.
        let ahead = ChunkReadAhead(reader: reader, perStep: perStep, targetBytes: options.chunkBytes,
                                   background: options.workers > 1, guessEnds: options.guessChunkEnds)
        let decoding = StepDecoder(decoder: decoder, filter: filter, readDNS: !dnsSinks.isEmpty, assembler: assembler,
                                   background: options.workers > 1)
        defer { _ = ahead.wait() }  // the reader is idle again before its warnings are read
        defer { _ = decoding.wait() }
        /// The next step's chunks, with their decoding started and the step after requested.
        func nextStep() -> ChunkReadAhead.Step {
            let step = measure(&report.decodeSeconds) { ahead.wait() }
            if !step.chunks.isEmpty {
                if step.failure == nil { ahead.start() }
                decoding.start(step.chunks)
            }
            return step
        }
        /// The step whose packets the flow shards are working on, delivered once the next one is handed over.
        var assembling: FlowAssembler.Step?
        func deliverAssembled() {
            guard let pending = assembling else { return }
            assembling = nil
            let (flows, starts) = measure(&report.flowSeconds) { assembler.collect(pending) }
            feeder.feed(starts: starts, to: burstSinks)
            tally(flows, report: &report)
            feeder.feed(flows)
        }
        // The flows of a failed read up to the failure still reach the sinks.
        defer { deliverAssembled() }
        ahead.start()
        var step = nextStep()
        while !step.chunks.isEmpty {
            var failure = step.failure  // the chunks read before it are decoded first
            // Only the decoder holds the chunks now: their buffers go back to the reader's pool once decoded,
            // so two steps' buffers are in use at a time (the one decoded, the one read), not three.
            step = ChunkReadAhead.Step()
            var decoded = measure(&report.decodeSeconds) { decoding.wait() }
            // A guessed chunk end its decoding walk did not reach exactly: the chunks after it (and the step
            // read ahead) started where no record does. Their results go; reading goes on from that walk's end.
            if let missed = decoded.firstIndex(where: { !$0.guessedEndHolds }) {
                decoded.removeSubrange((missed + 1)...)
                failure = nil  // met after the dropped chunks: met again, if still there, when they are read again
                ahead.resume(after: decoded[missed].walk)
                ahead.start()
            }
            let next = failure == nil ? nextStep() : ChunkReadAhead.Step()
            for result in decoded {
                input.records += UInt64(result.walk.records)
                decodedBytes += UInt64(result.walk.bytes)
                input.wireBytes += result.counters.wireBytes
                report.decode.merge(result.counters)
                report.filteredOut += result.filteredOut
                if result.keys.earliest <= result.keys.latest {  // the time range keys(for:) found
                    input.firstSeen = min(input.firstSeen ?? result.keys.earliest, result.keys.earliest)
                    input.lastSeen = max(input.lastSeen ?? result.keys.latest, result.keys.latest)
                }
            }
            // DNS answers and burst starts reach the detectors before the flows that end in this step. The
            // shards take this step while the previous one's flows go to the sinks: a shard that is done
            // early goes on instead of waiting for the other at a barrier.
            feeder.feed(answers: decoded.flatMap { $0.dns ?? [] }, to: dnsSinks)
            let submitted = assembler.submit(decoded.map(\.batch), keys: decoded.map(\.keys))
            deliverAssembled()
            assembling = submitted
            progress(input.records, decodedBytes)
            if let failure { throw .input(InputError(path: path, underlying: failure)) }
            step = next
        }
        if let failure = step.failure { throw .input(InputError(path: path, underlying: failure)) }
        report.inputBytes += input.fileBytes
        return finished(input)
    }

    func deliver(_ flows: FlowBatch, to sinks: [any FlowSink], report: inout PipelineReport) throws(AnalysisError) {
        guard !flows.isEmpty else { return }
        tally(flows, report: &report)
        let start = DispatchTime.now()
        defer { report.sinkSeconds += seconds(since: start) }
        for sink in sinks { try sink.consume(flows) }
    }

    /// Adds `flows` to the run's flow, packet and byte totals.
    func tally(_ flows: FlowBatch, report: inout PipelineReport) {
        report.flows += UInt64(flows.count)
        var packets: UInt64 = 0, bytes: UInt64 = 0
        for i in 0..<flows.count {
            packets &+= flows.packetsOut[i] &+ flows.packetsIn[i]
            bytes &+= flows.bytesOut[i] &+ flows.bytesIn[i]
        }
        // Exporters' counts are untrusted 64-bit values: the totals wrap as the inputs' own counters do
        // (FlowInputCounters), so `flow_packets` still equals what the inputs counted, and nothing traps.
        report.flowPackets &+= packets
        report.flowBytes &+= bytes
    }

    private func compiledFilter(for linkType: LinkType) throws(AnalysisError) -> PacketFilter? {
        guard let expression = options.filter else { return nil }
        if let filter = filters[linkType] { return filter }
        do {
            let filter = try PacketFilter(expression: expression, linkType: linkType)
            filters[linkType] = filter
            return filter
        } catch {
            throw .filter(error)
        }
    }
}

/// Seconds elapsed since `start`.
func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// Runs `body`, adding its duration to `total`.
func measure<T, E: Error>(_ total: inout Double, _ body: () throws(E) -> T) throws(E) -> T {
    let start = DispatchTime.now()
    defer { total += seconds(since: start) }
    return try body()
}

/// The size of a file, 0 when it cannot be read.
func fileSize(_ path: String) -> UInt64 {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
}

/// The compression of a file by its magic number, as `zstd`, `lz4` or `none`.
func compressionName(_ path: String) -> String {
    guard let handle = FileHandle(forReadingAtPath: path) else { return "none" }
    defer { try? handle.close() }
    let head = (try? handle.read(upToCount: 4)) ?? Data()
    let format = [UInt8](head).withUnsafeBytes { CompressionFormat.detect($0) }
    switch format {
    case .none: return "none"
    case .zstd: return "zstd"
    case .lz4: return "lz4"
    }
}
