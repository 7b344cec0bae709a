public import ArgumentParser
import Flows
import Ingest
import MedFlow

/// The options every command that reads captures shares.
struct PipelineArguments: ParsableArguments {
    @Argument(help: "Capture files (pcap, pcapng, optionally .zst/.lz4 compressed), nfdump files (nfcapd.*), NetFlow/IPFIX datagram files or captures of export traffic; directories or glob patterns.")
    var inputs: [String]

    @Option(help: "Concurrent workers (default: the number of cores).")
    var workers: Int?

    @Option(help: "A BPF filter expression (tcpdump syntax) applied to every capture.")
    var filter: String?

    @Option(help: "Seconds without a packet that end a UDP/ICMP/other flow.")
    var idleTimeout: Double = 60

    @Option(help: "Seconds without a packet that end a TCP flow not closed by FIN/RST.")
    var tcpIdleTimeout: Double = 300

    @Option(help: "Seconds after which a long flow is cut; later pieces are marked as continuations.")
    var activeTimeout: Double = 1800

    @Option(help: "Most flows open at once; a full table ends its least recently active flows early (end: evicted), so memory stays bounded. 0: no limit.")
    var maxFlows: Int = FlowConfiguration.defaultMaximumFlows

    @Option(help: "What the inputs are: auto (by content), pcap, nfdump (nfcapd files), netflow (raw datagram files), netflow-pcap (captures of export traffic).")
    var inputFormat: InputFormat = .auto

    @Option(help: "UDP port of the NetFlow/IPFIX collector in captures of export traffic (default: found from the payloads).")
    var exportPort: UInt16?

    @Flag(help: "Stop at the first input that cannot be read (by default it is reported as failed and the others are analysed).")
    var strict = false

    @Flag(help: "No progress line on stderr.")
    var quiet = false

    func validate() throws {
        if let workers, !(1...255).contains(workers) { throw ValidationError("--workers must be between 1 and 255") }
        if maxFlows < 0 { throw ValidationError("--max-flows must be 0 (no limit) or more") }
        for (name, value) in [("--idle-timeout", idleTimeout), ("--tcp-idle-timeout", tcpIdleTimeout),
                              ("--active-timeout", activeTimeout)] where !(value > 0 && value.isFinite) {
            throw ValidationError("\(name) must be a positive number of seconds")
        }
    }

    /// The library's options.
    var pipelineOptions: PipelineOptions {
        var options = PipelineOptions(inputs: inputs, filter: filter, workers: workers,
                                      flows: FlowConfiguration(idleTimeout: idleTimeout, tcpIdleTimeout: tcpIdleTimeout,
                                                               activeTimeout: activeTimeout, maximumFlows: maxFlows))
        options.inputFormat = inputFormat
        options.exportPort = exportPort
        options.strict = strict
        return options
    }
}

extension InputFormat: ExpressibleByArgument {}
