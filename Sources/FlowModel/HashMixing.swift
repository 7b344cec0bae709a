/// SplitMix64's finaliser: every input bit affects every output bit. The flow table and the beacon
/// detector's pair table build their key hashes from it. Never hash raw network-order IPv4 values by
/// their low bits (REFERENCES §3: tcpdump's 10.x.x.x collisions).
///
/// - Parameter x: The word to mix.
/// - Returns: The mixed word.
@inlinable @inline(__always)
public func mix64(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}
