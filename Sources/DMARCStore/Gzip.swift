internal import CShims
internal import CZlib
import DMARCCore

/// A zlib failure.
public struct CompressionError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Compresses one buffer into a complete gzip member.
func gzipMember(_ input: UnsafeRawBufferPointer, level: Int32 = 1) throws -> [UInt8] {
    var stream = z_stream()
    guard cshim_deflate_init_gzip(&stream, level) == Z_OK else {
        throw CompressionError(message: "cannot start gzip compression")
    }
    defer { deflateEnd(&stream) }
    let bound = Int(deflateBound(&stream, uLong(input.count)))
    var output = [UInt8](repeating: 0, count: bound)
    let rc: Int32 = output.withUnsafeMutableBytes { out in
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(out.count)
        return deflate(&stream, Z_FINISH)
    }
    guard rc == Z_STREAM_END else { throw CompressionError(message: "gzip compression failed (\(rc))") }
    output.removeSubrange(Int(stream.total_out)...)
    return output
}

/// Decompresses a gzip (or zlib) stream read from another stream.
///
/// After the end of a gzip member it continues with the next member when one follows, and
/// otherwise stops, ignoring trailing bytes (Mimecast appends a CRLF; SPEC §6.2); so are bytes
/// after a complete member that look like another one but are not. `trailingBytes` tells whether
/// that happened, and `inputWarnings` says so.
public final class GzipInflateStream: ByteStream {
    private let source: ByteStream
    private var stream = z_stream()
    private var input = [UInt8](repeating: 0, count: 65_536)
    private var inputStart = 0
    private var inputEnd = 0
    private var sourceDone = false
    private var finished = false
    private var initialised = false
    public private(set) var trailingBytes = 0
    public private(set) var totalIn = 0
    public private(set) var totalOut = 0
    /// Members decompressed to their end, and the output and input of the current one.
    private var membersDone = 0
    private var memberOut = 0
    private var memberIn = 0

    public init(source: ByteStream) throws {
        self.source = source
        guard cshim_inflate_init_auto(&stream) == Z_OK else {
            throw CompressionError(message: "cannot start gzip decompression")
        }
        initialised = true
    }

    deinit {
        if initialised { inflateEnd(&stream) }
    }

    private func fill() throws {
        if inputStart < inputEnd || sourceDone { return }
        let n = try input.withUnsafeMutableBytes { try source.read(into: $0) }
        inputStart = 0
        inputEnd = n
        if n == 0 { sourceDone = true }
        totalIn += n
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        while true {
            try fill()
            if inputStart == inputEnd && sourceDone {
                // What began like another member but ended before any data is trailing bytes.
                if membersDone > 0 && memberOut == 0 {
                    try skipRest(counted: memberIn)
                    return 0
                }
                throw CompressionError(message: "gzip data ends early (truncated file)")
            }
            let available = inputEnd - inputStart
            let (rc, consumed, produced): (Int32, Int, Int) = input.withUnsafeMutableBytes { inp in
                stream.next_in = inp.baseAddress!.assumingMemoryBound(to: Bytef.self) + inputStart
                stream.avail_in = uInt(available)
                stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(buffer.count)
                let rc = inflate(&stream, Z_NO_FLUSH)
                return (rc, available - Int(stream.avail_in), buffer.count - Int(stream.avail_out))
            }
            inputStart += consumed
            totalOut += produced
            memberOut += produced
            memberIn += consumed
            switch rc {
            case Z_OK, Z_BUF_ERROR:
                if produced > 0 { return produced }
                if rc == Z_BUF_ERROR && consumed == 0 && available > 0 {
                    throw CompressionError(message: "gzip data is corrupt")
                }
            case Z_STREAM_END:
                membersDone += 1
                try fill()
                guard inputStart < inputEnd, input[inputStart] == 0x1F,
                    inputStart + 1 >= inputEnd || input[inputStart + 1] == 0x8B
                else {
                    try skipRest(counted: 0)
                    return produced
                }
                inflateReset(&stream)  // another gzip member follows
                memberOut = 0
                memberIn = 0
                if produced > 0 { return produced }
            default:
                // Bytes after a complete member that only looked like the start of another.
                if membersDone > 0 && memberOut == 0 {
                    try skipRest(counted: memberIn)
                    return 0
                }
                let message = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw CompressionError(message: "gzip data is corrupt: \(message)")
            }
        }
    }

    /// Marks the end and counts the bytes that are left (and `counted` already read), keeping none.
    private func skipRest(counted: Int) throws {
        finished = true
        trailingBytes = counted + inputEnd - inputStart
        inputStart = inputEnd
        guard !sourceDone else { return }
        try source.forEachChunk(size: 4_096) { trailingBytes += $0.count }
    }

    public var inputWarnings: [ParseWarning] {
        var w = source.inputWarnings
        if trailingBytes > 0 {
            w.append(ParseWarning(code: "input-repaired", message: "\(trailingBytes) byte(s) after the gzip data ignored"))
        }
        return w
    }
}
