import FlowModel

/// The synthetic hospital: normal clinical and office traffic plus planted MEDJACK activity.
///
/// ``install(into:)`` adds every source to the engine; after the engine ran, ``truth(...)`` reads the
/// tallies that the conversations kept, so the truth lists what was actually written (missed beats,
/// the capture's end and all). Egress truth is known by construction: only the planted conversations
/// below break the policy that ``policyYAML`` writes.
final class HospitalScenario {
    let plan: AddressPlan
    let start: Int64
    let end: Int64
    let ipv6Share: Double
    let uploadBytes: Int
    let workstationCount: Int
    var random: SplitMix64
    private var nextPort: [IPAddress: UInt16] = [:]
    private var dnsID: UInt16 = 0x2A00

    /// A periodic pair whose truth entry is filled from its tally after the run.
    struct Periodic {
        var src: Host
        var dst: Host
        var dport: UInt16
        var proto: String
        var kind: String
        var malicious: Bool
        var period: Double
        var jitter: Double
        var jitterKind: JitterKind
        var missRate: Double
        var label: String
        var tally: Tally
    }

    /// A planted policy violation.
    struct Violation {
        var src: Host
        var dst: Host
        var dport: UInt16
        var proto: String
        var zone: String
        var reason: String
        var label: String
        var tally: Tally
    }

    var periodic: [Periodic] = []
    var violations: [Violation] = []
    var fanOutSource: Host?
    var fanOutTallies: [Tally] = []
    var upload: (src: Host, dst: Host, tally: Tally)?

    init(plan: AddressPlan, start: Int64, end: Int64, seed: UInt64, ipv6Share: Double, uploadBytes: Int,
         workstations: Int) {
        self.plan = plan
        self.start = start
        self.end = end
        self.ipv6Share = ipv6Share
        self.uploadBytes = uploadBytes
        self.workstationCount = max(1, workstations)
        self.random = SplitMix64(seed: seed)
    }

    /// Capture length in seconds.
    var duration: Double { Double(end - start) / 1e9 }

    /// Adds every source of normal and malicious traffic.
    func install(into engine: Engine) {
        installClinical(into: engine)
        installOffice(into: engine)
        installAttack(into: engine)
    }

    // MARK: Helpers shared by the traffic files

    /// The next ephemeral port of `host` (49152–65535, sequential from a random start, like Windows and Linux).
    func ephemeralPort(_ host: Host) -> UInt16 {
        let current = nextPort[host.ip] ?? UInt16(49_152 + random.int(0...12_000))
        nextPort[host.ip] = current >= 65_535 ? 49_152 : current + 1
        return current
    }

    /// A fresh DNS transaction id.
    func nextDNSID() -> UInt16 {
        dnsID &+= 0x3B1
        return dnsID
    }

    /// Adds a TCP connection.
    func tcp(_ engine: Engine, _ client: Host, _ server: Host, port: UInt16, at time: Int64, _ messages: [Message],
             rtt: Int64, mbps: Double, random: inout SplitMix64, tally: Tally? = nil) {
        engine.add(TCPConversation(client: client, server: server, clientPort: ephemeralPort(client), serverPort: port,
                                   start: time, messages: messages, rtt: rtt, megabitsPerSecond: mbps,
                                   random: &random, tally: tally))
    }

    /// Adds a DNS lookup of `name` by `client` at `time`; returns when the answer arrives.
    @discardableResult
    func dnsLookup(_ engine: Engine, client: Host, name: String, type: DNSMessage.RecordType,
                   answers: [DNSMessage.Answer], at time: Int64, random: inout SplitMix64) -> Int64 {
        let id = nextDNSID()
        let delay = Int64(random.uniform(0.4, 25) * 1e6)
        let query = DNSMessage.query(id: id, name: name, type: type)
        let response = DNSMessage.response(id: id, name: name, type: type, answers: answers)
        engine.add(UDPExchange(client: client, server: plan.dns, clientPort: ephemeralPort(client), serverPort: 53,
                               start: time, datagrams: [.init(offset: 0, fromClient: true, bytes: query),
                                                        .init(offset: delay, fromClient: false, bytes: response)]))
        return time + delay
    }

    /// A random time within the capture, as a share of its length.
    func time(atShare share: Double) -> Int64 { start + Int64(duration * share * 1e9) }

    /// A TLS exchange: `rounds` request/response pairs with sizes around the given medians.
    static func tlsMessages(_ random: inout SplitMix64, request: Double, response: Double, rounds: Int,
                            thinkTime: Double = 0.05, spread: Double = 0.6) -> [Message] {
        var messages: [Message] = []
        for round in 0..<rounds {
            let delay = round == 0 ? 0 : Int64(random.exponential(mean: thinkTime) * 1e9)
            messages.append(Message(fromClient: true, length: max(60, Int(random.logNormal(median: request, sigma: spread / 3))),
                                    style: .tls, delay: delay))
            messages.append(Message(fromClient: false,
                                    length: min(4_000_000, max(60, Int(random.logNormal(median: response, sigma: spread)))),
                                    style: .tls, delay: Int64(random.uniform(0.2, 8) * 1e6)))
        }
        return messages
    }
}
