import Testing
@testable import Synth

@Suite struct SynthModuleTests {
    @Test func moduleLinks() { #expect(String(describing: Synth.self) == "Synth") }
}
