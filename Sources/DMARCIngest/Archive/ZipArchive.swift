internal import CArchive
import DMARCCore

/// libarchive's read callback; `client` is an unretained `ZipSource` owned by the reader.
func zipArchiveRead(
    _ archive: OpaquePointer?, _ client: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<UnsafeRawPointer?>?
) -> la_ssize_t {
    guard let client, let buffer else { return -1 }
    let source = Unmanaged<ZipSource>.fromOpaque(client).takeUnretainedValue()
    do {
        let n = try source.chunk.withUnsafeMutableBytes { try source.stream.read(into: $0) }
        source.compressedBytes += n
        buffer.pointee = source.chunk.withUnsafeBytes { $0.baseAddress }
        return la_ssize_t(n)
    } catch {
        source.error = error
        return -1
    }
}

final class ZipSource {
    let stream: ByteStream
    var chunk = [UInt8](repeating: 0, count: 65_536)
    var compressedBytes = 0
    var error: Error?

    init(stream: ByteStream) { self.stream = stream }
}

/// One zip archive read with libarchive, streaming, with no trust in header sizes: entry counts,
/// decompressed sizes and the compression ratio are checked as bytes arrive.
final class ZipArchiveReader {
    private let archive: OpaquePointer
    private let source: ZipSource
    private let limits: IngestLimits
    private let name: String

    init(stream: ByteStream, name: String, limits: IngestLimits) throws {
        self.limits = limits
        self.name = name
        source = ZipSource(stream: stream)
        guard let a = archive_read_new() else { throw IngestError("libarchive could not start") }
        archive = a
        archive_read_support_format_zip(a)
        let rc = archive_read_open(a, Unmanaged.passUnretained(source).toOpaque(), nil, zipArchiveRead, nil)
        if rc != ARCHIVE_OK { throw failure("cannot open the zip archive") }
    }

    deinit { archive_read_free(archive) }

    private func failure(_ what: String) -> Error {
        if let error = source.error { return error }
        let detail = archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
        return IngestError("\(what): \(detail)")
    }

    /// Moves to the next regular-file entry and returns its name, or `nil` at the end.
    func nextEntry() throws -> String? {
        while true {
            var entry: OpaquePointer?
            let rc = archive_read_next_header(archive, &entry)
            if rc == ARCHIVE_EOF { return nil }
            if rc != ARCHIVE_OK && rc != ARCHIVE_WARN { throw failure("cannot read the zip archive") }
            guard let entry else { return nil }
            let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? "(unnamed)"
            if archive_entry_filetype(entry) & 0o170000 == 0o040000 || name.hasSuffix("/") { continue }
            return name
        }
    }

    /// The current entry's data as a stream, bounded by the document size and ratio limits.
    func entryStream() -> ByteStream {
        ZipEntryStream(reader: self)
    }

    fileprivate func readData(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
        if n < 0 { throw failure("cannot decompress a zip entry") }
        return n
    }

    var compressedBytes: Int { source.compressedBytes }
}

@available(*, unavailable)
extension ZipArchiveReader: Sendable {}

private final class ZipEntryStream: ByteStream {
    let reader: ZipArchiveReader

    init(reader: ZipArchiveReader) { self.reader = reader }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try reader.readData(into: buffer)
    }
}
