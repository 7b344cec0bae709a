import FlowModel
import Flows
import Ingest
internal import Dispatch

/// Flow inputs: nfdump files, raw NetFlow/IPFIX datagram files and captures of export traffic. Their
/// records are flows already; they skip the flow table, go through the ``FlowPairer`` (one direction per
/// record becomes one bidirectional flow) and reach the same sinks as packet flows.
extension Pipeline {
    /// The kind of `path` under `--input-format`, detected once per file.
    func inputKind(_ path: String) throws(AnalysisError) -> InputKind {
        do { return try detectedKind(path) } catch { throw .input(InputError(path: path, underlying: error)) }
    }

    private func detectedKind(_ path: String) throws(ParseError) -> InputKind {
        if let kind = kinds[path] { return kind }
        let kind = try InputKind.detect(path: path, format: options.inputFormat)
        kinds[path] = kind
        return kind
    }

    /// The time of the first record of `path`, for ordering the inputs.
    func firstTimestamp(_ path: String) throws(ParseError) -> Int64? {
        switch try detectedKind(path) {
        case .capture, .exportCapture:
            return try CaptureFile.open(path: path).nextChunk(targetBytes: 1)?.firstTimestamp
        case .nfdump:
            let file = try NfdumpFile(path: path)
            if let stats = file.statistics, stats.flows > 0 { return Int64(stats.firstSeenMs) * 1_000_000 }
            return file.header.created * 1_000_000_000
        case .datagrams:
            let reader = try DatagramFileReader(path: path)
            var batch = FlowBatch()
            _ = reader.next(into: &batch, maximumDatagrams: 16)
            return batch.firstSeen.min()
        }
    }

    /// Reads one flow input to the end, delivering its (paired) flows; the sinks consume them on a
    /// background queue (``SinkFeeder``) while the next records are read and paired.
    func processFlowInput(
        _ path: String, kind: InputKind, report: inout PipelineReport, sinks: [any FlowSink],
        progress: (UInt64, UInt64) -> Void
    ) throws(AnalysisError) -> InputReport {
        let feeder = SinkFeeder(sinks: sinks, background: options.workers > 1)
        let input: InputReport
        do {
            input = try readFlowInput(path, kind: kind, report: &report, sinks: feeder, progress: progress)
        } catch {
            _ = try? feeder.drain()  // the sinks are idle again before the error leaves
            throw error
        }
        report.sinkSeconds += try feeder.drain()
        return input
    }

    private func readFlowInput(
        _ path: String, kind: InputKind, report: inout PipelineReport, sinks: SinkFeeder,
        progress: (UInt64, UInt64) -> Void
    ) throws(AnalysisError) -> InputReport {
        var input = InputReport(path: path, format: "", compression: "none", linkType: "none", fileBytes: fileSize(path))
        var counters = FlowInputCounters()
        func parsing<T>(_ body: () throws(ParseError) -> T) throws(AnalysisError) -> T {
            do { return try body() } catch { throw .input(InputError(path: path, underlying: error)) }
        }
        /// Copies the counters into the report (at the end, or at a failure: what was delivered counts).
        func takeCounts() {
            input.records = counters.flows &+ counters.malformedRecords &+ counters.otherRecords
            input.wireBytes = counters.bytes
            input.flowInput = counters
        }
        do throws(AnalysisError) {
            switch kind {
            case .nfdump:
                let file = try parsing { () throws(ParseError) in try NfdumpFile(path: path) }
                input.format = "nfdump"
                input.compression = file.header.compression.name
                try readNfdump(file, input: &input, counters: &counters, report: &report, sinks: sinks, progress: progress)
                input.warnings = file.warnings.map(\.description)
            case .datagrams:
                let reader = try parsing { () throws(ParseError) in try DatagramFileReader(path: path) }
                var more = true
                while more {
                    var batch = FlowBatch()
                    more = measure(&report.decodeSeconds) { reader.next(into: &batch) }
                    counters = reader.decoder.counters
                    try deliverRecords(batch, input: &input, report: &report, sinks: sinks)
                    progress(reader.decoder.counters.flows, 0)
                }
                input.format = reader.decoder.formatName
                input.warnings = reader.warnings.map(\.description)
            case .exportCapture, .capture:
                let port = options.exportPort
                let reader = try parsing { () throws(ParseError) in try ExportCaptureReader(path: path, port: port) }
                var more = true
                while more {
                    var batch = FlowBatch()
                    let start = DispatchTime.now()
                    defer { counters = reader.decoder.counters }
                    more = try parsing { () throws(ParseError) in try reader.next(into: &batch) }
                    report.decodeSeconds += seconds(since: start)
                    try deliverRecords(batch, input: &input, report: &report, sinks: sinks)
                    progress(reader.decoder.counters.flows, 0)
                }
                input.format = "\(reader.captureFormat):\(reader.decoder.formatName)"
                input.compression = compressionName(path)
                input.exportPorts = reader.exportPorts
                input.warnings = reader.warnings.map(\.description)
                if reader.datagrams == 0 { input.warnings.append("no NetFlow/IPFIX export traffic found") }
            }
        } catch {
            // The records read before the failure were delivered: the failed input reports them.
            takeCounts()
            partial = input
            throw error
        }
        if counters.droppedDataSets > 0 {
            input.warnings.append("\(counters.droppedDataSets) data sets dropped: their template did not arrive in time")
        }
        if counters.malformedRecords > 0 { input.warnings.append("\(counters.malformedRecords) malformed flow records skipped") }
        takeCounts()
        report.inputBytes += input.fileBytes
        return input
    }

    /// Reads an nfdump file a few blocks per step, decompressing and decoding them concurrently (one
    /// decoder with its own 5 MiB buffer per task). With more than one worker the next step decodes in
    /// the background while this one is paired and delivered (two sets of decoders take turns), so
    /// at most two steps of blocks are in memory.
    private func readNfdump(
        _ file: NfdumpFile, input: inout InputReport, counters: inout FlowInputCounters, report: inout PipelineReport,
        sinks: SinkFeeder, progress: (UInt64, UInt64) -> Void
    ) throws(AnalysisError) {
        let perStep = options.workers == 1 ? 1 : options.workers * 2
        let overlap = options.workers > 1
        let decoderSets = (0..<(overlap ? 2 : 1)).map { _ in
            (0..<perStep).map { _ in NfdumpBlockDecoder(compression: file.header.compression) }
        }
        let queue = DispatchQueue(label: "medflow.nfdump.decode")
        var turn = 0
        /// Starts decoding the next step; `nil` at the end of the data.
        func start() -> PendingStep? {
            let blocks = file.nextBlocks(limit: perStep)
            if blocks.isEmpty { return nil }
            let step = PendingStep(blocks: blocks)
            let decoders = decoderSets[turn % decoderSets.count]
            turn += 1
            nonisolated(unsafe) let file = file
            if overlap {
                queue.async(group: step.group) { step.results = Pipeline.decodeBlocks(blocks, of: file, with: decoders) }
            } else {
                step.results = Pipeline.decodeBlocks(blocks, of: file, with: decoders)
            }
            return step
        }
        var done: UInt64 = 0
        var next = measure(&report.decodeSeconds) { start() }
        while let step = next {
            measure(&report.decodeSeconds) { step.group.wait() }
            next = measure(&report.decodeSeconds) { start() }
            for (block, result) in zip(step.blocks, step.results) {
                counters.merge(result.counters)
                if let problem = result.problem { file.noteCorrupt(block, detail: problem) }
                done += UInt64(block.payload.count)
            }
            for result in step.results { try deliverRecords(result.batch, input: &input, report: &report, sinks: sinks) }
            progress(counters.flows, done)
        }
        counters.corruptBlocks = UInt64(file.corruptBlocks)
    }

    /// A step of nfdump blocks being decoded.
    private final class PendingStep: @unchecked Sendable {
        // @unchecked: `results` is written by the decoding task before `group` is left, read after waiting.
        let blocks: [NfdumpRawBlock]
        let group = DispatchGroup()
        var results: [DecodedBlock] = []
        init(blocks: [NfdumpRawBlock]) { self.blocks = blocks }
    }

    /// One decoded nfdump block.
    private struct DecodedBlock: Sendable {
        var batch = FlowBatch()
        var counters = FlowInputCounters()
        var problem: String?
    }

    private static func decodeBlocks(_ blocks: [NfdumpRawBlock], of file: NfdumpFile,
                              with decoders: [NfdumpBlockDecoder]) -> [DecodedBlock] {
        let results = UnsafeMutableBufferPointer<DecodedBlock>.allocate(capacity: blocks.count)
        results.initialize(repeating: DecodedBlock())
        defer { results.deinitialize(); results.deallocate() }
        nonisolated(unsafe) let output = results  // invariant: task i writes output[i] only
        nonisolated(unsafe) let bytes = file.bytes  // the mapping outlives the tasks
        let work: @Sendable (Int) -> Void = { i in
            var item = DecodedBlock()
            item.batch.reserveCapacity(Int(min(blocks[i].recordCount, 1 << 16)))
            item.problem = decoders[i].decode(blocks[i], in: bytes, into: &item.batch, counters: &item.counters)
            output[i] = item
        }
        if blocks.count == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: blocks.count, execute: work) }
        return Array(results)
    }

    /// Pairs a batch of records and delivers the flows that are complete.
    private func deliverRecords(_ batch: FlowBatch, input: inout InputReport, report: inout PipelineReport,
                                sinks: SinkFeeder) throws(AnalysisError) {
        guard !batch.isEmpty else { return }
        var first = Int64.max, last = Int64.min
        for value in batch.firstSeen where value < first { first = value }
        for value in batch.lastSeen where value > last { last = value }
        input.firstSeen = min(input.firstSeen ?? first, first)
        input.lastSeen = max(input.lastSeen ?? last, last)
        let flows = measure(&report.flowSeconds) { pairer.add(batch) }
        guard !flows.isEmpty else { return }
        tally(flows, report: &report)
        sinks.feed(flows)
    }
}
