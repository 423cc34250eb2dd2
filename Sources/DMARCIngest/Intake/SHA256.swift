import DMARCCore
internal import CGMime

/// SHA-256 through GLib's `GChecksum` (GLib comes with GMime), computed while bytes pass.
final class HashingStream: ByteStream {
    private let source: ByteStream
    private let checksum: OpaquePointer

    init(_ source: ByteStream) {
        self.source = source
        checksum = g_checksum_new(G_CHECKSUM_SHA256)
    }

    deinit { g_checksum_free(checksum) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        if n > 0 {
            g_checksum_update(checksum, buffer.baseAddress!.assumingMemoryBound(to: guchar.self), gssize(n))
        }
        return n
    }

    /// The lower-case hex digest; valid once the stream has been read to the end.
    var hexDigest: String { String(cString: g_checksum_get_string(checksum)) }
}
