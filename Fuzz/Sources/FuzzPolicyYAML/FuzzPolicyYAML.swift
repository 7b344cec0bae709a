import Detect
import FlowModel

/// The MUD profile every zone's `mud:` key gets, whatever path it names: the fuzz target never reads
/// files. It has one ACE of each kind a zone binds differently (plain, controller, my-controller).
let mudProfile: MUDProfile = {
    let json = #"""
    {"ietf-mud:mud": {"mud-url": "https://example.com/device",
      "from-device-policy": {"access-lists": {"access-list": [{"name": "out"}]}}},
     "ietf-access-control-list:acls": {"acl": [{"name": "out", "aces": {"ace": [
       {"name": "cloud", "matches": {"ipv4": {"destination-ipv4-network": "203.0.113.0/24"},
                                     "tcp": {"destination-port": {"operator": "eq", "port": 443}}}},
       {"name": "dns", "matches": {"ietf-mud:mud": {"controller": "urn:ietf:params:mud:dns"}}},
       {"name": "mine", "matches": {"ietf-mud:mud": {"my-controller": [null]}}}]}}]}}
    """#
    do { return try MUDReader.parse(json: Array(json.utf8), path: "fuzz.mud.json") } catch {
        fatalError("the fuzz target's own MUD profile does not parse: \(error)")
    }
}()

/// libFuzzer entry point: the input is a policy file (YAML), parsed by ``PolicyReader`` and, when it
/// is accepted, compiled and described as `medflow policy check` does.
///
/// - Parameters:
///   - data: The fuzzer's input.
///   - size: Its length in bytes.
/// - Returns: 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let policy = try? PolicyReader.parse(yaml: text, path: "fuzz.yaml", baseDirectory: "/nonexistent",
                                               readMUD: { _ throws(PolicyError) in mudProfile })
    else { return 0 }
    let compiled = CompiledPolicy(policy)
    _ = compiled.describe()
    for zone in compiled.zones.indices {
        _ = compiled.allows(zone: zone, dst: IPAddress(v4: 0xCB00_7101), dport: 443, proto: 6, names: ["a.example"])
    }
    return 0
}
