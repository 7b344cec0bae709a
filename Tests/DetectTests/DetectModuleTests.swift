import Testing
@testable import Detect

@Suite struct DetectModuleTests {
    @Test func moduleLinks() { #expect(String(describing: Detect.self) == "Detect") }
}
