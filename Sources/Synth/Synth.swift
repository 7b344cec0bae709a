/// The synthetic hospital: deterministic captures with ground truth for tests, benchmarks and research.
public enum Synth {}
