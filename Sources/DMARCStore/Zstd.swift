internal import CZstd

/// Stored raw chunks of plain documents are zstd frames (about three times faster to write than
/// gzip at its fastest level, and smaller); chunks written before, and those of documents that
/// arrived compressed, are gzip members. Each chunk says which by its first bytes.
enum ChunkCodec {
    /// The zstd frame magic number, little-endian (RFC 8878 §3.1.1).
    static let zstdMagic: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]

    static func isZstd(_ chunk: [UInt8]) -> Bool { chunk.starts(with: zstdMagic) }
}

/// Compresses one buffer into a complete zstd frame, with its content size and a checksum of
/// the content (so damage is an error when it is read, never wrong bytes).
func zstdFrame(_ input: UnsafeRawBufferPointer, level: Int32 = 1) throws -> [UInt8] {
    try ZstdContextPool.withContext { context in
        for (parameter, value) in [(ZSTD_c_compressionLevel, level), (ZSTD_c_checksumFlag, 1)] {
            let rc = ZSTD_CCtx_setParameter(context, parameter, value)
            if ZSTD_isError(rc) != 0 {
                throw CompressionError(message: "zstd compression failed: \(zstdError(rc))")
            }
        }
        var failure: Int?
        // Not zeroed first: zstd writes what it returns, and only those pages are touched.
        let output = [UInt8](unsafeUninitializedCapacity: ZSTD_compressBound(input.count)) { out, count in
            let written = ZSTD_compress2(context, out.baseAddress, out.count, input.baseAddress, input.count)
            if ZSTD_isError(written) != 0 {
                failure = written
                count = 0
            } else {
                count = written
            }
        }
        if let failure { throw CompressionError(message: "zstd compression failed: \(zstdError(failure))") }
        return output
    }
}

/// Decompresses one stored zstd chunk, which holds at most `limit` bytes.
func zstdChunk(_ frame: [UInt8], limit: Int) throws -> [UInt8] {
    let declared = frame.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
    // ZSTD_CONTENTSIZE_UNKNOWN and ZSTD_CONTENTSIZE_ERROR are the two largest values.
    guard declared <= UInt64(limit) else {
        throw CompressionError(message: "stored chunk is corrupt: not a zstd frame of at most \(limit) bytes")
    }
    var output = [UInt8](repeating: 0, count: Int(declared))
    let n = output.withUnsafeMutableBytes { out in
        frame.withUnsafeBytes { ZSTD_decompress(out.baseAddress, out.count, $0.baseAddress, $0.count) }
    }
    if ZSTD_isError(n) != 0 {
        throw CompressionError(message: "stored chunk is corrupt: \(zstdError(n))")
    }
    guard n == output.count else {
        throw CompressionError(message: "stored chunk is corrupt: \(n) bytes, its frame says \(output.count)")
    }
    return output
}

/// libzstd's text for an error code.
private func zstdError(_ code: Int) -> String { String(cString: ZSTD_getErrorName(code)) }
