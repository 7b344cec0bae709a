/// A set of ``Prefix``es answering "is this address inside any of them?" and "which is the longest match?"
/// in a few hash lookups, whatever the number of prefixes.
///
/// The prefixes are grouped by length; a lookup masks the address once per distinct length (at most
/// 129, in practice a handful) and probes a hash set. Building is O(n); the set is immutable after
/// ``init(_:)`` and can be shared between threads.
public struct PrefixSet: Sendable, Hashable {
    /// The distinct lengths present, longest first, so the first hit is the longest match.
    private let lengths: [UInt8]
    /// The networks of each length, indexed by length (0–128).
    private let networks: [Set<IPAddress>]
    /// The prefixes longest first, when there are few: a masked compare each beats hashing the address
    /// once per prefix length (policies name a handful of networks; detectors ask per flow).
    private let linear: [Prefix]
    private static let linearLimit = 32
    /// Every prefix, sorted and without duplicates.
    public let prefixes: [Prefix]

    /// Creates a set of `prefixes` (duplicates are dropped).
    ///
    /// - Parameter prefixes: The prefixes to hold.
    public init(_ prefixes: some Sequence<Prefix>) {
        var networks = [Set<IPAddress>](repeating: [], count: 129)
        var unique = Set<Prefix>()
        for prefix in prefixes {
            unique.insert(prefix)
            networks[Int(prefix.length)].insert(prefix.address)
        }
        self.networks = networks
        self.lengths = (0...128).reversed().filter { !networks[$0].isEmpty }.map { UInt8($0) }
        self.prefixes = unique.sorted()
        self.linear = unique.count <= Self.linearLimit
            ? unique.sorted { $0.length != $1.length ? $0.length > $1.length : $0 < $1 } : []
    }

    /// The empty set.
    public static let empty = PrefixSet([Prefix]())

    /// Whether the set holds no prefix.
    public var isEmpty: Bool { lengths.isEmpty }

    /// The number of distinct prefixes.
    public var count: Int { prefixes.count }

    /// Whether `address` lies inside any prefix of the set.
    ///
    /// - Parameter address: The address to test.
    public func contains(_ address: IPAddress) -> Bool {
        longestMatch(address) != nil
    }

    /// The longest prefix of the set that holds `address`, or `nil`.
    ///
    /// - Parameter address: The address to look up.
    public func longestMatch(_ address: IPAddress) -> Prefix? {
        if prefixes.count <= Self.linearLimit {
            for prefix in linear where prefix.contains(address) { return prefix }
            return nil
        }
        for length in lengths {
            let candidate = Prefix(address: address, length: Int(length))
            if networks[Int(length)].contains(candidate.address) { return candidate }
        }
        return nil
    }
}
