/// A sequential source of bytes: a file, a decompressor, an archive entry, stored raw bytes.
public protocol ByteStream: AnyObject {
    /// Fills up to `buffer.count` bytes and returns how many were written; 0 means the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// What this stream, and those it reads from, left out of the bytes it passed on (bytes after
    /// the end of compressed data); complete once the end has been read.
    var inputWarnings: [ParseWarning] { get }
}

extension ByteStream {
    public var inputWarnings: [ParseWarning] { [] }

    /// Reads everything that is left, failing once more than `limit` bytes have been read.
    public func readAll(limit: Int, what: @autoclosure () -> String) throws -> [UInt8] {
        var out: [UInt8] = []
        try forEachChunk { piece in
            out.append(contentsOf: piece)
            if out.count > limit { throw LimitExceeded(what: what(), limit: limit) }
        }
        return out
    }

    /// Reads everything that is left, a piece at a time, handing each to `body`.
    public func forEachChunk(size: Int = 65_536, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var chunk = [UInt8](repeating: 0, count: size)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return }
            try chunk.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }
}

/// A configured size limit was hit.
public struct LimitExceeded: Error, Sendable, CustomStringConvertible {
    public let what: String
    public let limit: Int

    public init(what: String, limit: Int) {
        self.what = what
        self.limit = limit
    }

    public var description: String { "\(what) is larger than the limit of \(ByteCount.format(limit))" }
}

/// Human-readable byte counts for messages.
public enum ByteCount {
    public static func format(_ n: Int) -> String {
        if n >= 1 << 30, n % (1 << 30) == 0 { return "\(n >> 30) GiB" }
        if n >= 1 << 20, n % (1 << 20) == 0 { return "\(n >> 20) MiB" }
        if n >= 1 << 10, n % (1 << 10) == 0 { return "\(n >> 10) KiB" }
        return "\(n) bytes"
    }
}

/// A stream over bytes already in memory.
public final class MemoryStream: ByteStream {
    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + offset, byteCount: n)
        }
        offset += n
        return n
    }
}
