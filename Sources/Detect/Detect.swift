/// The detectors: periodic beaconing, egress against a medical-zone policy, and fan-out.
///
/// Detectors read ``FlowModel/FlowBatch``es (and, where they need packet timing or DNS answers, what the
/// ingest stage hands them), keep compact per-pair state that merges across halves of an archive, and
/// produce findings the output stage encodes. This module depends on `FlowModel` only.
public enum Detect {}
