import ArgumentParser
import Flows
import MedFlow

/// The options every command that reads captures shares.
struct PipelineArguments: ParsableArguments {
    @Argument(help: "Capture files (pcap, pcapng, optionally .zst/.lz4 compressed), directories or glob patterns.")
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

    @Flag(help: "No progress line on stderr.")
    var quiet = false

    func validate() throws {
        if let workers, !(1...255).contains(workers) { throw ValidationError("--workers must be between 1 and 255") }
        for (name, value) in [("--idle-timeout", idleTimeout), ("--tcp-idle-timeout", tcpIdleTimeout),
                              ("--active-timeout", activeTimeout)] where !(value > 0 && value.isFinite) {
            throw ValidationError("\(name) must be a positive number of seconds")
        }
    }

    /// The library's options.
    var pipelineOptions: PipelineOptions {
        PipelineOptions(inputs: inputs, filter: filter, workers: workers,
                        flows: FlowConfiguration(idleTimeout: idleTimeout, tcpIdleTimeout: tcpIdleTimeout,
                                                 activeTimeout: activeTimeout))
    }
}
