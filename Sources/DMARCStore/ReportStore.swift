internal import CSQLite
import DMARCCore
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What the store knows about one raw document.
public struct RawDocumentInfo: Sendable, Equatable {
    public var id: Int64
    public var sha256: String
    public var origin: String
    public var mediaType: String
    public var size: Int64
    public var status: RawDocumentStatus
    public var error: String?
    public var reportCount: Int
    /// `aggregate`, `tlsrpt`, `failure`, `none`, or `nil` before parsing.
    public var kind: String?
}

/// Where a raw document stands.
public enum RawDocumentStatus: String, Sendable {
    /// Stored, not parsed yet (or the import was interrupted).
    case pending
    /// Parsed; its reports are stored.
    case parsed
    /// Parsed, but every report in it was already stored from another document.
    case duplicate
    /// Parsing failed; the bytes are kept for `reparse`.
    case failed
    /// Not an aggregate report (failure report, unrelated mail, not yet supported kind).
    case ignored
}

/// The outcome of storing a raw document.
public enum RawStoreResult: Sendable, Equatable {
    case stored(id: Int64)
    case alreadyStored(RawDocumentInfo)

    /// The new document's id; `nil` when the same bytes were stored before.
    public var storedID: Int64? {
        if case .stored(let id) = self { return id }
        return nil
    }
}

/// The SQLite store of DESIGN §5: raw documents first, then reports, records, auth results and
/// the daily rollup, one transaction per report.
///
/// One instance is one writer connection; use it from one thread at a time.
public final class ReportStore {
    let db: SQLiteConnection
    public let path: String
    /// Raw bytes are cut into chunks of this size before compression.
    static let rawChunkSize = 1 << 20
    /// Early writeback of the WAL, opened once it exists (SQLite keeps it while this connection
    /// is open).
    private var writeBehind: WriteBehind?

    /// The WAL's early writeback for a report being written, if the WAL can be watched.
    func walWriteBehind() -> WriteBehind? {
        if writeBehind == nil { writeBehind = db.walFileName.flatMap { WriteBehind(path: $0) } }
        return writeBehind
    }

    public init(path: String) throws {
        self.path = path
        db = try SQLiteConnection(path: path)
        // 16 KiB pages suit the append-heavy inserts of large reports; only effective on a new file.
        try db.execute("PRAGMA page_size=16384")
        // WAL lets readers (the web UI, a stored document read back while its report is written) go
        // on beside the writer; a file system that cannot share memory maps refuses it.
        guard try db.prepare("PRAGMA journal_mode=WAL").text() == "wal" else {
            throw SQLiteError(
                code: 1,
                message:
                    "\(path): SQLite could not use write-ahead logging here (a network file system?); put the database on a local disk",
                sql: nil)
        }
        try db.execute("PRAGMA synchronous=NORMAL")
        // Checkpoint once the WAL holds 64 MiB rather than SQLite's 1,000 pages (16 MiB here): a large
        // document's raw bytes are then not copied and synced on their own just before its report
        // is written, and a batch of small documents is checkpointed every few dozen, not every few.
        try db.execute("PRAGMA wal_autocheckpoint=4096")
        try db.execute("PRAGMA foreign_keys=ON")
        // Bounded page cache (6 MiB): dirty pages spill to the WAL from the writer queue while parsing
        // goes on, rather than all at COMMIT, and memory stays flat. (16 and 40 MiB were measured: slower
        // on 100k records, 3% faster on 1M, 50-77 MiB resident.)
        try db.execute("PRAGMA cache_size=-6000")
        try db.execute("PRAGMA temp_store=MEMORY")
        try migrate()
    }

    /// The schema version this binary writes.
    public static var schemaVersion: Int { Migrations.all.count }

    private func migrate() throws {
        let current = Int(try db.prepare("PRAGMA user_version").scalar() ?? 0)
        guard current < Migrations.all.count else { return }
        for number in current..<Migrations.all.count {
            try db.transaction {
                try db.execute(Migrations.all[number])
                try db.execute("PRAGMA user_version = \(number + 1)")
            }
        }
    }

    static func now() -> Int64 { Int64(time(nil)) }

    // MARK: Raw documents

    /// Stores the bytes of `stream` compressed, keyed by their SHA-256. When a document with that
    /// digest exists, nothing is written.
    public func storeRaw(stream: ByteStream, origin: String, mediaType: String) throws -> RawStoreResult {
        try db.execute("BEGIN IMMEDIATE")
        do {
            let placeholder = "pending-\(UInt64.random(in: 0...UInt64.max))"
            try db.prepare(
                "INSERT INTO raw_documents (sha256, received_at, origin, media_type, size, status) VALUES (?, ?, ?, ?, 0, 'pending')"
            ).run([.text(placeholder), .integer(Self.now()), .text(origin), .text(mediaType)])
            let id = db.lastInsertRowID
            // Compressed input (gzip, zip) does not shrink again: store it in gzip's stored blocks;
            // the rest as zstd frames.
            let codec: StoredCodec =
                mediaType == "application/gzip" || mediaType == "application/zip" ? .gzipStored : .zstd
            let insertChunk = try db.prepare("INSERT INTO raw_chunks (document_id, seq, data) VALUES (?, ?, ?)")
            var size: Int64 = 0
            var stored: Int64 = 0
            var seq: Int64 = 0
            func write(_ members: [[UInt8]]) throws {
                for member in members {
                    try insertChunk.run([.integer(id), .integer(seq), .blob(member)])
                    seq += 1
                    stored += Int64(member.count)
                }
            }
            // While one batch of chunks is hashed and compressed on other threads, the next is
            // read here; then the first is written, in order.
            let pass = RawPass(codec: codec)
            while true {
                let step = try pass.next(from: stream)
                size += Int64(step.bytes)
                try write(step.previous)
                if step.atEnd { break }
            }
            let (last, sha) = try pass.finish()
            try write(last)
            if let existing = try rawDocument(sha256: sha) {
                try db.execute("ROLLBACK")
                return .alreadyStored(existing)
            }
            try db.prepare("UPDATE raw_documents SET sha256 = ?, size = ?, stored_size = ? WHERE id = ?")
                .run([.text(sha), .integer(size), .integer(stored), .integer(id)])
            try db.execute("COMMIT")
            return .stored(id: id)
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
    }

    /// How a chunk of raw bytes is kept.
    enum StoredCodec {
        /// A gzip member of stored (uncompressed) blocks, for input that arrived compressed.
        case gzipStored
        /// A zstd frame at level 1.
        case zstd

        func compress(_ bytes: UnsafeRawBufferPointer) throws -> [UInt8] {
            switch self {
            case .gzipStored: try gzipMember(bytes, level: 0)
            case .zstd: try zstdFrame(bytes, level: 1)
            }
        }
    }

    public func rawDocument(sha256: String) throws -> RawDocumentInfo? {
        try rawDocuments(where: "sha256 = ?", [.text(sha256)]).first
    }

    public func rawDocument(id: Int64) throws -> RawDocumentInfo? {
        try rawDocuments(where: "id = ?", [.integer(id)]).first
    }

    /// Raw documents with the given statuses, oldest first.
    public func rawDocuments(status: [RawDocumentStatus]) throws -> [RawDocumentInfo] {
        let list = status.map { "'\($0.rawValue)'" }.joined(separator: ",")
        return try rawDocuments(where: "status IN (\(list))", [])
    }

    /// The newest `limit` raw documents with one of these statuses, newest first (for pages).
    public func rawDocuments(status: [RawDocumentStatus], newest limit: Int) throws -> [RawDocumentInfo] {
        let list = status.map { "'\($0.rawValue)'" }.joined(separator: ",")
        return try rawDocuments(where: "status IN (\(list))", [], order: "id DESC LIMIT \(max(limit, 0))")
    }

    private func rawDocuments(where condition: String, _ values: [SQLiteValue?], order: String = "id") throws
        -> [RawDocumentInfo]
    {
        var out: [RawDocumentInfo] = []
        try db.prepare(
            "SELECT id, sha256, origin, media_type, size, status, error, report_count, kind FROM raw_documents WHERE \(condition) ORDER BY \(order)"
        ).query(values) { row in
            out.append(
                RawDocumentInfo(
                    id: row.int64(0), sha256: row.text(1) ?? "", origin: row.text(2) ?? "",
                    mediaType: row.text(3) ?? "", size: row.int64(4),
                    status: RawDocumentStatus(rawValue: row.text(5) ?? "") ?? .pending,
                    error: row.text(6), reportCount: row.int(7), kind: row.text(8)))
        }
        return out
    }

    /// Records the outcome of parsing a raw document.
    public func markRaw(
        id: Int64, status: RawDocumentStatus, kind: String?, error: String?, warnings: [String], reportCount: Int
    ) throws {
        try db.prepare(
            "UPDATE raw_documents SET status = ?, kind = ?, error = ?, warnings = ?, report_count = ?, parsed_at = ? WHERE id = ?"
        ).run([
            .text(status.rawValue), .optText(kind), .optText(error),
            warnings.isEmpty ? nil : .text(JSONText.array(warnings)), .int(reportCount), .integer(Self.now()),
            .integer(id),
        ])
    }

    /// Deletes the stored bytes of a document but keeps its row (failure reports: personal data).
    public func dropRawBytes(id: Int64) throws {
        try db.prepare("DELETE FROM raw_chunks WHERE document_id = ?").run([.integer(id)])
        try db.prepare("UPDATE raw_documents SET stored_size = 0 WHERE id = ?").run([.integer(id)])
    }

    /// The stored bytes of a document, decompressed as they are read: one chunk in memory at a time.
    ///
    /// The stream reads through a read-only connection of its own, so it may be read on another
    /// thread (the parser's) while this store's connection writes the document's report.
    public func openRaw(id: Int64) throws -> ByteStream {
        guard let file = db.fileName else {
            throw SQLiteError(code: 1, message: "stored documents can be read back only from a database file", sql: nil)
        }
        return try RawChunkStream(connection: SQLiteConnection(path: file, readOnly: true), documentID: id)
    }

    // MARK: Reports

    /// A sink that stores one aggregate report from document `rawDocumentID`.
    public func reportWriter(rawDocumentID: Int64?, sourceName: String?) -> ReportWriter {
        ReportWriter(store: self, rawDocumentID: rawDocumentID, sourceName: sourceName)
    }
}

@available(*, unavailable)
extension ReportStore: Sendable {}

/// Decompresses stored chunks one at a time, fetching each when the previous one is used up.
final class RawChunkStream: ByteStream {
    private let connection: SQLiteConnection
    private let documentID: Int64
    private var seq: Int64 = 0
    private var current: ByteStream?

    init(connection: SQLiteConnection, documentID: Int64) throws {
        self.connection = connection
        self.documentID = documentID
    }

    /// One stored chunk, or `nil` past the last.
    private func chunk(_ seq: Int64) throws -> [UInt8]? {
        var data: [UInt8]?
        try connection.prepare("SELECT data FROM raw_chunks WHERE document_id = ? AND seq = ?").query([
            .integer(documentID), .integer(seq),
        ]) {
            row in data = row.blob(0)
        }
        return data
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if let current {
                let n = try current.read(into: buffer)
                if n > 0 { return n }
                self.current = nil
            }
            guard let next = try chunk(seq) else { return 0 }
            seq += 1
            current =
                ChunkCodec.isZstd(next)
                ? MemoryStream(try zstdChunk(next, limit: ReportStore.rawChunkSize))
                : try GzipInflateStream(source: MemoryStream(next))
        }
    }
}

/// JSON text for small lists stored in TEXT columns.
enum JSONText {
    static func string(_ s: String) -> String { JSONValue.string(s).serialized() }

    static func array(_ items: [String]) -> String { JSONValue.array(items.map { .string($0) }).serialized() }
}
