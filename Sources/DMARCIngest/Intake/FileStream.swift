import DMARCCore

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a file through its descriptor, which is closed in `deinit`. Small reads (libxml2 asks
/// for 4 KB at a time) are served from a 256 KiB buffer, so a large report costs few system calls.
public final class FileStream: ByteStream {
    private let fd: Int32
    public let path: String
    private var buffer: [UInt8] = []
    private var start = 0
    private var end = 0
    private static let bufferSize = 256 << 10

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IngestError("cannot open \(path): \(String(cString: strerror(errno)))") }
    }

    /// Wraps an open descriptor (standard input) without taking ownership of closing it.
    init(descriptor: Int32, name: String) {
        fd = dup(descriptor)
        path = name
    }

    deinit { close(fd) }

    public func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        if start == end {
            if destination.count >= Self.bufferSize { return try readDirect(destination) }
            if buffer.isEmpty { buffer = [UInt8](repeating: 0, count: Self.bufferSize) }
            start = 0
            end = try buffer.withUnsafeMutableBytes { try readDirect($0) }
            if end == 0 { return 0 }
        }
        let n = min(destination.count, end - start)
        buffer.withUnsafeBytes { destination.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: n) }
        start += n
        return n
    }

    private func readDirect(_ destination: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, destination.baseAddress, destination.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw IngestError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Passes bytes through while counting them and failing beyond a limit (decompression bombs).
final class BoundedStream: ByteStream {
    private let source: ByteStream
    private let limit: Int
    private let what: String
    private(set) var total = 0

    init(_ source: ByteStream, limit: Int, what: String) {
        self.source = source
        self.limit = limit
        self.what = what
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        total += n
        if total > limit { throw LimitExceeded(what: what, limit: limit) }
        return n
    }

    var inputWarnings: [ParseWarning] { source.inputWarnings }
}

/// Reads the first bytes of a stream, then replays them before the rest.
final class PeekStream: ByteStream {
    private let source: ByteStream
    private(set) var head: [UInt8] = []
    private var offset = 0

    init(_ source: ByteStream, peek: Int) throws {
        self.source = source
        var buffer = [UInt8](repeating: 0, count: peek)
        var filled = 0
        while filled < peek {
            let n = try buffer.withUnsafeMutableBytes {
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...]))
            }
            if n == 0 { break }
            filled += n
        }
        head = Array(buffer[0..<filled])
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if offset < head.count {
            let n = min(buffer.count, head.count - offset)
            head.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
            offset += n
            return n
        }
        return try source.read(into: buffer)
    }
}
