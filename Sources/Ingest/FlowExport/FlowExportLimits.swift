/// Limits that keep the state of a ``FlowExportDecoder`` bounded whatever the input: a stream of hostile
/// datagrams (new template ids, exporters, observation domains or sampler ids in every one) costs at most
/// these, and what does not fit is dropped and counted in ``FlowInputCounters``.
public struct FlowExportLimits: Sendable, Hashable {
    /// Most templates held over all exporters; the least recently refreshed is evicted beyond it (counted
    /// in ``FlowInputCounters/templatesRemoved``).
    public var maximumTemplates: Int
    /// Most fields one template may declare; a longer template is ignored and its datagram counted in
    /// ``FlowInputCounters/malformedContainers`` (real templates have a few dozen).
    public var maximumTemplateFields: Int
    /// Most data sets held while waiting for their template, over all exporters.
    public var maximumPendingSets: Int
    /// Most bytes of data sets held while waiting for their template, over all exporters.
    public var maximumPendingBytes: Int
    /// Export-time seconds a held data set waits for its template before it is dropped.
    public var pendingSeconds: Int64
    /// Most exporter scopes whose options data (sampling rates, boot time) is remembered; options of
    /// further scopes are counted in ``FlowInputCounters/droppedOptions``.
    public var maximumExporters: Int
    /// Most sampler ids remembered per exporter scope; further ones are counted in
    /// ``FlowInputCounters/droppedOptions``.
    public var maximumSamplersPerExporter: Int

    /// Creates limits; the defaults suit a hospital's few dozen exporters, and bound the decoder's state to
    /// a few tens of MiB.
    public init(maximumTemplates: Int = 4096, maximumTemplateFields: Int = 512, maximumPendingSets: Int = 1024,
                maximumPendingBytes: Int = 8 << 20, pendingSeconds: Int64 = 600, maximumExporters: Int = 1024,
                maximumSamplersPerExporter: Int = 256) {
        self.maximumTemplates = maximumTemplates
        self.maximumTemplateFields = maximumTemplateFields
        self.maximumPendingSets = maximumPendingSets
        self.maximumPendingBytes = maximumPendingBytes
        self.pendingSeconds = pendingSeconds
        self.maximumExporters = maximumExporters
        self.maximumSamplersPerExporter = maximumSamplersPerExporter
    }
}
