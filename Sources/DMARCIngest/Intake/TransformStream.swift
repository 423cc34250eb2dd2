import DMARCCore

/// A change made to a document's bytes as they are read, a piece at a time; `TransformStream`
/// does the reading.
protocol ByteTransform {
    /// Bytes gathered before the first piece is changed (the start of the document, where its
    /// declaration is); fewer only when the document is shorter.
    var headBytes: Int { get }
    /// Changes `input`, the next bytes of the source, appending the result to `output`. Bytes it
    /// cannot change yet (a character cut by the end of the piece) it keeps for the next piece.
    /// `atEnd` comes with the last piece, which may be empty.
    mutating func transform(_ input: ArraySlice<UInt8>, atEnd: Bool, into output: inout [UInt8])
    /// What the change did, complete once the end has been read.
    var warnings: [ParseWarning] { get }
}

/// Another stream's bytes passed through a `ByteTransform`, in memory that does not grow with the
/// document: a piece of the source, and what the transform made of it.
final class TransformStream<Transform: ByteTransform>: ByteStream {
    private let source: ByteStream
    private var transform: Transform
    private var chunk = [UInt8](repeating: 0, count: 65_536)
    /// What the transform made of the last piece, handed out from `outputStart`.
    private var output: [UInt8] = []
    private var outputStart = 0
    private var started = false
    private var ended = false

    init(source: ByteStream, transform: Transform) {
        self.source = source
        self.transform = transform
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while outputStart == output.count {
            if ended { return 0 }
            output.removeAll(keepingCapacity: true)
            outputStart = 0
            try fill()
        }
        let n = min(buffer.count, output.count - outputStart)
        output.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + outputStart, byteCount: n) }
        outputStart += n
        return n
    }

    /// The source's warnings, then the transform's.
    var inputWarnings: [ParseWarning] { source.inputWarnings + transform.warnings }

    private func fill() throws {
        let input: ArraySlice<UInt8>
        if started {
            let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            input = chunk[0..<n]
            ended = n == 0
        } else {
            started = true
            let wanted = max(transform.headBytes, chunk.count)
            input = try PeekStream(source, peek: wanted).head[...]
            ended = input.count < wanted
        }
        transform.transform(input, atEnd: ended, into: &output)
    }
}
