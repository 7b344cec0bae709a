/// A streaming compressor that writes its output to a ``FileSink`` as it goes.
///
/// ``OutputFile`` feeds an encoder its buffered input with ``encode(_:)`` and ends the file with
/// ``finish()``; encoders keep their own output buffer and free their codec context on deinitialisation.
protocol FrameEncoder: AnyObject {
    /// Compresses `input`, writing any compressed output that is ready.
    func encode(_ input: UnsafeRawBufferPointer) throws(OutputError)
    /// Ends the frame and writes everything still buffered.
    func finish() throws(OutputError)
}

/// The encoder of ``OutputCompression/none``: writes its input as it is.
final class PassthroughEncoder: FrameEncoder {
    private let sink: FileSink

    init(sink: FileSink) {
        self.sink = sink
    }

    func encode(_ input: UnsafeRawBufferPointer) throws(OutputError) {
        try sink.write(input)
    }

    func finish() throws(OutputError) {}
}
