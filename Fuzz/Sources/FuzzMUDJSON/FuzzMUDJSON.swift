import Detect
import FlowModel

/// libFuzzer entry point: the input is an RFC 8520 MUD file (JSON), read by ``MUDReader`` and, when it
/// is accepted, turned into allow rules as a policy's zone would.
///
/// - Parameters:
///   - data: The fuzzer's input.
///   - size: Its length in bytes.
/// - Returns: 0, as libFuzzer requires.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let json = Array(UnsafeBufferPointer(start: data, count: size))
    guard let profile = try? MUDReader.parse(json: json, path: "fuzz.mud.json") else { return 0 }
    let controllers = ["urn:ietf:params:mud:dns": [Prefix("10.0.0.53")!]]
    _ = profile.allowRules(controllers: controllers, myController: [Prefix("10.0.0.1")!],
                           localNetworks: Prefix.privateRanges)
    return 0
}
