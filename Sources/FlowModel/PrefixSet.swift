/// A set of ``Prefix``es answering "is this address inside any of them?" and "which is the longest match?"
/// in a few hash lookups, whatever the number of prefixes.
///
/// The prefixes are grouped by length; a lookup masks the address once per distinct length (at most
/// 129, in practice a handful) and probes a hash set. Building is O(n); the set is immutable after
/// ``init(_:)`` and can be shared between threads.
public struct PrefixSet: Sendable, Hashable {
    /// The distinct lengths present, longest first, so the first hit is the longest match.
    private let lengths: [UInt8]
    /// The networks of each length, indexed by length (0–128), with each one's index in ``prefixes``.
    private let networks: [[IPAddress: Int]]
    /// The prefixes longest first, when there are few, with their masks worked out: a masked compare each
    /// beats hashing the address once per prefix length (policies name a handful of networks; detectors
    /// ask per flow).
    private let linear: [Masked]
    private static let linearLimit = 32
    /// Every prefix, sorted and without duplicates.
    public let prefixes: [Prefix]

    /// A prefix's network and masks, and its index in ``prefixes``.
    private struct Masked: Sendable, Hashable {
        let networkHigh: UInt64, networkLow: UInt64, maskHigh: UInt64, maskLow: UInt64
        let index: Int

        @inline(__always)
        func contains(_ address: IPAddress) -> Bool {
            address.high & maskHigh == networkHigh && address.low & maskLow == networkLow
        }
    }

    /// Creates a set of `prefixes` (duplicates are dropped).
    ///
    /// - Parameter prefixes: The prefixes to hold.
    public init(_ prefixes: some Sequence<Prefix>) {
        let sorted = Set(prefixes).sorted()
        var networks = [[IPAddress: Int]](repeating: [:], count: 129)
        for (index, prefix) in sorted.enumerated() { networks[Int(prefix.length)][prefix.address] = index }
        self.networks = networks
        self.lengths = (0...128).reversed().filter { !networks[$0].isEmpty }.map { UInt8($0) }
        self.prefixes = sorted
        self.linear = sorted.count > Self.linearLimit ? [] : sorted.indices
            .sorted { sorted[$0].length != sorted[$1].length ? sorted[$0].length > sorted[$1].length : $0 < $1 }
            .map { index in
                let prefix = sorted[index]
                let (maskHigh, maskLow) = Prefix.masks(Int(prefix.length))
                return Masked(networkHigh: prefix.address.high, networkLow: prefix.address.low, maskHigh: maskHigh,
                              maskLow: maskLow, index: index)
            }
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
        longestMatchIndex(address) != nil
    }

    /// The longest prefix of the set that holds `address`, or `nil`.
    ///
    /// - Parameter address: The address to look up.
    public func longestMatch(_ address: IPAddress) -> Prefix? {
        longestMatchIndex(address).map { prefixes[$0] }
    }

    /// The index in ``prefixes`` of the longest prefix that holds `address`, or `nil`: for callers that
    /// keep a value per prefix in an array beside ``prefixes`` (a dictionary keyed by the prefix hashed it
    /// on every lookup).
    ///
    /// - Parameter address: The address to look up.
    public func longestMatchIndex(_ address: IPAddress) -> Int? {
        if prefixes.count <= Self.linearLimit {
            for prefix in linear where prefix.contains(address) { return prefix.index }
            return nil
        }
        for length in lengths {
            let candidate = Prefix(address: address, length: Int(length))
            if let index = networks[Int(length)][candidate.address] { return index }
        }
        return nil
    }
}
