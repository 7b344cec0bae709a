public import FlowModel

/// Which names each client looked up to reach each address, learnt from the DNS answers in captures.
///
/// Keyed by (client, answered address), so a shared CDN address maps to the name *this* client asked
/// for. Names are the queried names (heads of CNAME chains). Tables of two halves of an archive merge
/// into the table of the whole.
public struct DNSNameTable: Sendable {
    /// A client and an address it was given.
    struct Key: Hashable, Sendable {
        let client: IPAddress
        let address: IPAddress
    }

    /// Names per key, in the order first seen, without duplicates.
    private var table: [Key: [String]] = [:]
    /// Most names kept per key (a guard against DNS floods).
    public static let maxNamesPerKey = 16

    /// Creates an empty table.
    public init() {}

    /// The number of (client, address) pairs known.
    public var count: Int { table.count }

    /// Adds answers.
    public mutating func add(_ answers: some Sequence<DNSAnswer>) {
        for answer in answers {
            let key = Key(client: answer.client, address: answer.address)
            var names = table[key, default: []]
            if !names.contains(answer.name), names.count < Self.maxNamesPerKey {
                names.append(answer.name)
                table[key] = names
            }
        }
    }

    /// The names `client` looked up that answered with `address`, first seen first.
    public func names(client: IPAddress, address: IPAddress) -> [String] {
        table[Key(client: client, address: address)] ?? []
    }

    /// Adds every entry of `other`.
    public mutating func merge(_ other: DNSNameTable) {
        for (key, names) in other.table {
            var mine = table[key, default: []]
            for name in names where !mine.contains(name) && mine.count < Self.maxNamesPerKey { mine.append(name) }
            table[key] = mine
        }
    }
}
