import FlowModel
import Testing

@Suite("Prefix and PrefixSet")
struct PrefixTests {
    static func address(_ text: String) -> IPAddress { IPAddress(text)! }

    @Test("parses and prints IPv4, IPv6 and host prefixes", arguments: [
        ("10.0.0.0/8", "10.0.0.0/8"), ("10.1.2.3/8", "10.0.0.0/8"), ("0.0.0.0/0", "0.0.0.0/0"),
        ("192.168.1.7/32", "192.168.1.7/32"), ("192.168.1.7", "192.168.1.7/32"), ("2001:db8::/32", "2001:db8::/32"),
        ("::/0", "::/0"), ("fe80::1/128", "fe80::1/128"), ("fe80::1", "fe80::1/128"), ("::ffff:10.0.0.0/104", "10.0.0.0/8"),
        (" 172.16.0.0/12 ", "172.16.0.0/12"),
    ])
    func parsing(text: String, printed: String) throws {
        let prefix = try #require(Prefix(text))
        #expect(prefix.description == printed)
    }

    @Test("rejects bad prefixes", arguments: [
        "10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "10.0.0.0/-1", "10.0.0.0/8/8", "2001:db8::/129", "x/8", "", "/8",
        "10.0.0.0/+8", "10.0.0.0/ 8", "256.0.0.0/8",
    ])
    func rejects(text: String) {
        #expect(Prefix(text) == nil)
    }

    @Test("/0 covers every IPv4 address but no IPv6 one; ::/0 covers all")
    func zeroLength() throws {
        let v4All = try #require(Prefix("0.0.0.0/0"))
        #expect(v4All.contains(Self.address("1.2.3.4")))
        #expect(v4All.contains(Self.address("255.255.255.255")))
        #expect(!v4All.contains(Self.address("2001:db8::1")))
        let all = try #require(Prefix("::/0"))
        #expect(all.contains(Self.address("1.2.3.4")))
        #expect(all.contains(Self.address("2001:db8::1")))
    }

    @Test("/32 and /128 hold exactly one address")
    func hostPrefixes() throws {
        let host = try #require(Prefix("203.0.113.10/32"))
        #expect(host.contains(Self.address("203.0.113.10")))
        #expect(!host.contains(Self.address("203.0.113.11")))
        let host6 = try #require(Prefix("2001:db8::10/128"))
        #expect(host6.contains(Self.address("2001:db8::10")))
        #expect(!host6.contains(Self.address("2001:db8::11")))
    }

    @Test("boundaries of IPv4 and IPv6 prefixes, including lengths across the 64-bit halves", arguments: [
        ("10.50.1.0/24", "10.50.1.0", true), ("10.50.1.0/24", "10.50.1.255", true), ("10.50.1.0/24", "10.50.2.0", false),
        ("10.50.1.0/24", "10.50.0.255", false), ("172.16.0.0/12", "172.31.255.255", true), ("172.16.0.0/12", "172.32.0.0", false),
        ("2001:db8::/32", "2001:db8:ffff::1", true), ("2001:db8::/32", "2001:db9::", false),
        ("2001:db8:0:1::/64", "2001:db8:0:1:ffff::", true), ("2001:db8:0:1::/64", "2001:db8:0:2::", false),
        ("2001:db8:0:1:8000::/65", "2001:db8:0:1:8000::1", true), ("2001:db8:0:1:8000::/65", "2001:db8:0:1:7fff::", false),
        ("fc00::/7", "fdff::1", true), ("fc00::/7", "fe00::1", false),
        ("::ffff:0:0/96", "8.8.8.8", true),
    ])
    func boundaries(prefix: String, address: String, inside: Bool) throws {
        #expect(try #require(Prefix(prefix)).contains(Self.address(address)) == inside)
    }

    @Test("an IPv4 prefix never matches an IPv6 address with the same low bits")
    func v4MappedOnly() throws {
        let prefix = try #require(Prefix("10.0.0.0/8"))
        #expect(!prefix.contains(IPAddress(high: 0, low: 0x0A00_0001)))  // ::10.0.0.1 (IPv4-compatible)
        #expect(prefix.contains(IPAddress(v4: 0x0A00_0001)))
        #expect(prefix.isIPv4 && prefix.writtenLength == 8)
    }

    @Test("PrefixSet finds the longest match among many prefixes")
    func prefixSet() throws {
        let set = PrefixSet(["10.0.0.0/8", "10.50.0.0/16", "10.50.1.0/24", "2001:db8::/32", "10.50.1.0/24"].compactMap { Prefix($0) })
        #expect(set.count == 4)
        #expect(set.longestMatch(Self.address("10.50.1.9"))?.description == "10.50.1.0/24")
        #expect(set.longestMatch(Self.address("10.50.9.9"))?.description == "10.50.0.0/16")
        #expect(set.longestMatch(Self.address("10.9.9.9"))?.description == "10.0.0.0/8")
        #expect(set.longestMatch(Self.address("2001:db8::5"))?.description == "2001:db8::/32")
        #expect(!set.contains(Self.address("11.0.0.1")))
        #expect(!PrefixSet.empty.contains(Self.address("10.0.0.1")))
        let many = PrefixSet((0..<5000).map { Prefix(v4: 0x0B00_0000 | UInt32($0) << 8, length: 24) })
        #expect(many.contains(Self.address("11.0.19.4")))
        #expect(many.contains(Self.address("11.19.135.4")))  // 4999 = 0x1387 → 11.19.135.0/24
        #expect(!many.contains(Self.address("11.19.136.4")))
    }

    @Test("small sets (masked compares) and large sets (hashed by length) give the brute-force longest match",
          arguments: [0, 40])
    func smallAndLargeAgree(filler: Int) throws {
        let named = ["10.0.0.0/8", "10.50.0.0/16", "10.50.1.0/24", "10.50.1.7/32", "172.16.0.0/12", "0.0.0.0/0",
                     "fc00::/7", "fd00:1::/32", "2001:db8::/32", "::/0", "224.0.0.0/4"].compactMap { Prefix($0) }
        // Filler /24s under 100.64/10 make the set large enough for the hashed path.
        let prefixes = named + (0..<filler).map { Prefix(v4: 0x6440_0000 | UInt32($0) << 8, length: 24) }
        let set = PrefixSet(prefixes)
        var rng = SystemRandomNumberGenerator()
        let probes = ["10.50.1.7", "10.50.1.8", "10.50.2.1", "10.1.1.1", "172.20.0.1", "8.8.8.8", "100.64.3.9",
                      "fd00:1::9", "fd01::1", "2001:db8::1", "2001:db9::1", "239.1.1.1"].map { Self.address($0) }
            + (0..<500).map { _ in IPAddress(v4: UInt32.random(in: 0...UInt32.max, using: &rng)) }
        for address in probes {
            let expected = prefixes.filter { $0.contains(address) }.max { $0.length < $1.length }
            #expect(set.longestMatch(address) == expected, "\(address)")
            // The index form names the same prefix in `prefixes` (what the policy's zone table is keyed by).
            #expect(set.longestMatchIndex(address).map { set.prefixes[$0] } == expected, "\(address)")
        }
    }

    @Test("private ranges are RFC 1918 and fc00::/7")
    func privateRanges() {
        let set = PrefixSet(Prefix.privateRanges)
        for inside in ["10.1.1.1", "172.16.0.1", "192.168.255.255", "fd12::1"] { #expect(set.contains(Self.address(inside))) }
        for outside in ["8.8.8.8", "172.32.0.1", "2001:db8::1", "100.64.0.1"] { #expect(!set.contains(Self.address(outside))) }
    }
}
