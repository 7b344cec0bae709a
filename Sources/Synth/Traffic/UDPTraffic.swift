import Output
import FlowModel

/// A short UDP exchange: datagrams at fixed offsets from its start (DNS, NTP, HL7-free chatter).
final class UDPExchange: Actor {
    /// One datagram.
    struct Datagram {
        var offset: Int64
        var fromClient: Bool
        var bytes: [UInt8]
        var filler: Int = 0
    }

    let client: Host
    let server: Host
    let clientPort: UInt16
    let serverPort: UInt16
    private(set) var nextTime: Int64
    private let start: Int64
    private let datagrams: [Datagram]
    private var index = 0
    private let tally: Tally?

    init(client: Host, server: Host, clientPort: UInt16, serverPort: UInt16, start: Int64, datagrams: [Datagram],
         tally: Tally? = nil) {
        self.client = client
        self.server = server
        self.clientPort = clientPort
        self.serverPort = serverPort
        self.start = start
        self.nextTime = start + (datagrams.first?.offset ?? 0)
        self.datagrams = datagrams
        self.tally = tally
    }

    func step(_ engine: Engine) throws(OutputError) -> Bool {
        let datagram = datagrams[index]
        if index == 0 { tally?.connections += 1 }
        let (from, to, sport, dport) = datagram.fromClient
            ? (client, server, clientPort, serverPort) : (server, client, serverPort, clientPort)
        engine.builder.begin(from: from, to: to, proto: TransportProtocol.udp, sourcePort: sport, destinationPort: dport)
        engine.builder.udpHeader()
        engine.builder.append(datagram.bytes)
        engine.builder.appendFiller(count: datagram.filler, offset: index * 64)
        let wire = try engine.emit(at: nextTime)
        tally?.saw(nextTime, bytes: wire, outbound: datagram.fromClient)
        index += 1
        guard index < datagrams.count else { return false }
        nextTime = max(nextTime, start + datagrams[index].offset)
        return true
    }
}

/// A steady one-way UDP stream (a bedside monitor's waveforms to the central station): one datagram
/// every `interval`, with small timing noise and sizes, until the capture ends.
final class UDPStream: Actor {
    let client: Host
    let server: Host
    let clientPort: UInt16
    let serverPort: UInt16
    private(set) var nextTime: Int64
    private let interval: Int64
    private var random: SplitMix64
    private let sizes: ClosedRange<Int>
    private let tally: Tally?
    private var sequence: UInt32 = 0

    init(client: Host, server: Host, clientPort: UInt16, serverPort: UInt16, start: Int64, interval: Int64,
         sizes: ClosedRange<Int>, random: SplitMix64, tally: Tally?) {
        self.client = client
        self.server = server
        self.clientPort = clientPort
        self.serverPort = serverPort
        self.nextTime = start
        self.interval = interval
        self.random = random
        self.sizes = sizes
        self.tally = tally
    }

    func step(_ engine: Engine) throws(OutputError) -> Bool {
        tally?.connections += 1
        sequence &+= 1
        engine.builder.begin(from: client, to: server, proto: TransportProtocol.udp, sourcePort: clientPort,
                             destinationPort: serverPort)
        engine.builder.udpHeader()
        engine.builder.append([0x00, 0x00, UInt8(sequence >> 8 & 0xFF), UInt8(sequence & 0xFF)])
        engine.builder.appendFiller(count: random.int(sizes), offset: Int(sequence % 1000) * 2)
        let wire = try engine.emit(at: nextTime)
        tally?.saw(nextTime, bytes: wire, outbound: true)
        nextTime += interval + Int64(random.uniform(-0.002, 0.002) * Double(interval))
        return true
    }
}
