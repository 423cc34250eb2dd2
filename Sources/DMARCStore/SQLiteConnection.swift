internal import CSQLite
internal import CShims

/// SQLite's "copy this buffer now" destructor, which Swift cannot import as a macro.
private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
/// A valid pointer for binding an empty string (SQLite reads zero bytes from it).
nonisolated(unsafe) private let emptyCString: UnsafePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    p.pointee = 0
    return UnsafePointer(p)
}()

/// An SQLite failure with the library's own message and the SQL that caused it.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public let sql: String?

    public var description: String {
        if let sql { return "SQLite error \(code): \(message) (in: \(sql.prefix(120)))" }
        return "SQLite error \(code): \(message)"
    }
}

/// One SQLite database handle, opened in `init` and closed in `deinit`.
///
/// Not `Sendable`: a connection is used from one thread at a time by its owner.
/// See https://sqlite.org/c3ref/open.html
final class SQLiteConnection {
    let handle: OpaquePointer
    let path: String

    /// Process-wide SQLite set-up, done once before the first connection.
    private static let configured: Bool = {
        _ = cshim_sqlite_disable_memstatus()
        return true
    }()

    init(path: String, readOnly: Bool = false) throws {
        _ = Self.configured
        var db: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "cannot open \(path): \(message)", sql: nil)
        }
        handle = db
        self.path = path
        sqlite3_busy_timeout(db, 10_000)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that take no parameters.
    func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(error)
            throw SQLiteError(code: rc, message: message, sql: sql)
        }
    }

    func prepare(_ sql: String) throws -> SQLiteStatement {
        try SQLiteStatement(connection: self, sql: sql)
    }

    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// The database file's absolute name as SQLite resolved it (symbolic links followed, no URI
    /// parameters), or `nil` for an in-memory or temporary database.
    var fileName: String? {
        guard let name = sqlite3_db_filename(handle, "main"), name.pointee != 0 else { return nil }
        return String(cString: name)
    }

    /// The name of the database's write-ahead log, as SQLite names it; `nil` without a file.
    var walFileName: String? {
        guard let name = sqlite3_db_filename(handle, "main"), name.pointee != 0,
            let wal = sqlite3_filename_wal(name), wal.pointee != 0
        else { return nil }
        return String(cString: wal)
    }
    var changes: Int { Int(sqlite3_changes(handle)) }

    @inline(__always)
    func check(_ rc: Int32, _ sql: @autoclosure () -> String? = nil) throws {
        guard rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE else {
            throw SQLiteError(code: rc, message: lastMessage, sql: sql())
        }
    }

    /// Runs `body` in a transaction, committing on success and rolling back on error.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

@available(*, unavailable)
extension SQLiteConnection: Sendable {}

/// A prepared statement owned by one connection. Parameters are 1-based, columns 0-based.
final class SQLiteStatement {
    private let handle: OpaquePointer
    private let connection: SQLiteConnection
    let sql: String

    init(connection: SQLiteConnection, sql: String) throws {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw SQLiteError(code: rc, message: connection.lastMessage, sql: sql)
        }
        handle = stmt
        self.connection = connection
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    @discardableResult
    func bind(_ values: [SQLiteValue?]) throws -> SQLiteStatement {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (i, value) in values.enumerated() {
            try bind(value, at: Int32(i + 1))
        }
        return self
    }

    func bind(_ value: SQLiteValue?, at index: Int32) throws {
        let rc: Int32
        switch value {
        case nil:
            rc = sqlite3_bind_null(handle, index)
        case .integer(let v):
            rc = sqlite3_bind_int64(handle, index, v)
        case .real(let v):
            rc = sqlite3_bind_double(handle, index, v)
        case .text(var s):
            rc = s.withUTF8 { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    sqlite3_bind_text(
                        handle, index, chars.baseAddress ?? emptyCString, Int32(chars.count), sqliteTransient)
                }
            }
        case .blob(let bytes):
            rc = bytes.withUnsafeBytes { buffer in
                sqlite3_bind_blob64(
                    handle, index, buffer.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, UInt64(buffer.count),
                    sqliteTransient)
            }
        }
        try connection.check(rc, sql)
    }

    // Direct binding for hot paths: no array of values per row. Text and blobs are copied into the
    // statement's arena and handed to SQLite as SQLITE_STATIC, so SQLite allocates and frees no
    // buffer per value (which was most of the cost of binding). These bindings last for one
    // `execute()`, which clears them.

    private let arena = BindArena()

    func bind(_ v: Int64, at index: Int32) throws {
        try connection.check(sqlite3_bind_int64(handle, index, v), sql)
    }

    func bind(_ s: String?, at index: Int32) throws {
        // Every parameter is NULL until bound: in a new statement, and after `execute()` cleared
        // the bindings of the run before (the only way these statements run). A nil is left so.
        guard var s else { return }
        let rc = s.withUTF8 { buffer in
            sqlite3_bind_text(
                handle, index, arena.copy(UnsafeRawBufferPointer(buffer)).assumingMemoryBound(to: CChar.self),
                Int32(buffer.count), nil)
        }
        try connection.check(rc, sql)
    }

    /// Binds UTF-8 bytes as text.
    func bind(text bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        let rc = sqlite3_bind_text(
            handle, index, arena.copy(bytes).assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
        try connection.check(rc, sql)
    }

    /// Binds UTF-8 bytes as text without copying them: they must stay where they are until
    /// `execute()` has run.
    func bind(borrowedText bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        let text = bytes.baseAddress.map { $0.assumingMemoryBound(to: CChar.self) } ?? emptyCString
        try connection.check(sqlite3_bind_text(handle, index, text, Int32(bytes.count), nil), sql)
    }

    func bind(bytes: [UInt8], at index: Int32) throws {
        try bytes.withUnsafeBytes { try bind(blob: $0, at: index) }
    }

    func bind(blob: UnsafeRawBufferPointer, at index: Int32) throws {
        try connection.check(sqlite3_bind_blob64(handle, index, arena.copy(blob), UInt64(blob.count), nil), sql)
    }

    /// Runs a statement whose parameters were bound one by one, then resets it and clears its
    /// bindings (the arena they point into is reused by the next execution).
    func execute() throws {
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            arena.reset()
        }
        while try step() {}
    }

    /// Steps once; returns `true` when a row is available.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let error = SQLiteError(code: rc, message: connection.lastMessage, sql: sql)
        sqlite3_reset(handle)
        throw error
    }

    /// Binds and runs a statement that returns no rows.
    func run(_ values: [SQLiteValue?] = []) throws {
        try bind(values)
        while try step() {}
        sqlite3_reset(handle)
    }

    /// Binds, then calls `row` for every result row.
    func query(_ values: [SQLiteValue?] = [], row: (SQLiteRow) throws -> Void) throws {
        try bind(values)
        defer { sqlite3_reset(handle) }
        let r = SQLiteRow(handle: handle)
        while try step() { try row(r) }
    }

    /// The first column of the first row as text, if any.
    func text(_ values: [SQLiteValue?] = []) throws -> String? {
        try first(values) { $0.text(0) }
    }

    /// The first column of the first row as an integer, if any.
    func scalar(_ values: [SQLiteValue?] = []) throws -> Int64? {
        try first(values) { $0.int64Optional(0) }
    }

    private func first<T>(_ values: [SQLiteValue?], _ value: (SQLiteRow) -> T?) throws -> T? {
        var result: T?
        try query(values) { row in if result == nil { result = value(row) } }
        return result
    }
}

@available(*, unavailable)
extension SQLiteStatement: Sendable {}

/// Memory for the values bound to one execution of a statement: blocks that never move until
/// `reset`, so SQLite can read the values in place (SQLITE_STATIC) when the statement runs.
///
/// The cursor lives behind a pointer rather than in stored `var`s, so the hot path (one copy per
/// bound value) carries no exclusivity checks.
final class BindArena {
    private struct Cursor {
        var next: UnsafeMutableRawPointer
        var end: UnsafeMutableRawPointer
    }
    private let cursor: UnsafeMutablePointer<Cursor>
    /// The block kept between executions, made on first use.
    private var first: UnsafeMutableRawBufferPointer?
    /// Further blocks of one execution (a statement binding more than a block's worth).
    private var extra: [UnsafeMutableRawBufferPointer] = []
    private static let blockSize = 64 << 10
    /// Where an empty arena points: SQLite takes a null pointer for NULL, and an empty value is not NULL.
    nonisolated(unsafe) private static let nowhere = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 8)

    init() {
        cursor = .allocate(capacity: 1)
        cursor.initialize(to: Cursor(next: Self.nowhere, end: Self.nowhere))
    }

    deinit {
        first?.deallocate()
        for block in extra { block.deallocate() }
        cursor.deallocate()
    }

    /// A stable copy of `bytes`, valid until `reset`, never a null pointer.
    @inline(__always)
    func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawPointer {
        let n = bytes.count
        var p = cursor.pointee.next
        if p.distance(to: cursor.pointee.end) < n { p = block(for: n) }
        if n > 0 { p.copyMemory(from: bytes.baseAddress!, byteCount: n) }
        cursor.pointee.next = p + n
        return UnsafeRawPointer(p)
    }

    private func block(for n: Int) -> UnsafeMutableRawPointer {
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: max(Self.blockSize, n), alignment: 8)
        if first == nil && block.count == Self.blockSize { first = block } else { extra.append(block) }
        cursor.pointee = Cursor(next: block.baseAddress!, end: block.baseAddress! + block.count)
        return block.baseAddress!
    }

    /// Makes the memory reusable, keeping the first block.
    func reset() {
        if let first {
            cursor.pointee = Cursor(next: first.baseAddress!, end: first.baseAddress! + first.count)
        } else {
            cursor.pointee = Cursor(next: Self.nowhere, end: Self.nowhere)
        }
        if !extra.isEmpty {
            for block in extra { block.deallocate() }
            extra.removeAll()
        }
    }
}

/// A value to bind.
enum SQLiteValue {
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLiteValue {
    static func int(_ v: Int) -> SQLiteValue { .integer(Int64(v)) }
    static func optText(_ s: String?) -> SQLiteValue? { s.map { .text($0) } }
    static func optInt(_ v: Int?) -> SQLiteValue? { v.map { .integer(Int64($0)) } }
    static func bool(_ b: Bool) -> SQLiteValue { .integer(b ? 1 : 0) }
}

/// The current row of a statement, valid only inside the `query` callback.
struct SQLiteRow {
    let handle: OpaquePointer

    var columnCount: Int32 { sqlite3_column_count(handle) }
    func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
    func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
    func int64Optional(_ i: Int32) -> Int64? { isNull(i) ? nil : int64(i) }
    func int(_ i: Int32) -> Int { Int(int64(i)) }
    func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }

    /// Text read with its length, so embedded NULs survive.
    func text(_ i: Int32) -> String? {
        guard let p = sqlite3_column_text(handle, i) else { return nil }
        let n = Int(sqlite3_column_bytes(handle, i))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    func blob(_ i: Int32) -> [UInt8] {
        let n = Int(sqlite3_column_bytes(handle, i))
        guard n > 0, let p = sqlite3_column_blob(handle, i) else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: n))
    }
}
