import ArgumentParser

/// The `medflow` command: subcommands only.
@main
struct MedflowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "medflow",
        abstract: "Turn captures into flows and hunt beaconing and unexpected egress from medical devices.",
        version: MedFlowVersionText.current,
        subcommands: [AnalyzeCommand.self, FlowsCommand.self, PolicyCommand.self, SynthCommand.self, EvalCommand.self,
                      BenchCommand.self]
    )
}
