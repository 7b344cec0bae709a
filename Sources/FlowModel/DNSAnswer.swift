/// One address a DNS response gave a client for a name: the side list the decoder hands to detectors
/// so that flows to an address can be tied to the name the client looked up.
///
/// `name` is the name the client asked for: when the answer came through a CNAME chain
/// (`www.example.com` → `cdn.example.net` → A), it is the head of the chain, not the canonical name.
public struct DNSAnswer: Hashable, Sendable {
    /// Capture time of the response, ns since the epoch.
    public var time: Int64
    /// The client: the response's destination address.
    public var client: IPAddress
    /// The queried name, lower case, without the trailing dot.
    public var name: String
    /// The address the response gave for the name (A as IPv4-mapped, or AAAA).
    public var address: IPAddress
    /// The record's TTL in seconds.
    public var ttl: UInt32

    /// Creates an answer.
    public init(time: Int64, client: IPAddress, name: String, address: IPAddress, ttl: UInt32 = 0) {
        self.time = time
        self.client = client
        self.name = name
        self.address = address
        self.ttl = ttl
    }
}
