import DMARCCore
import DMARCStore

#if canImport(Glibc)
    import Glibc
#endif

/// The import pipeline: every input's raw bytes are stored first, then its documents are found
/// (MIME, gzip, zip), parsed and stored, one transaction per report. A bad input becomes a
/// clear error on that input; the rest of the batch goes on.
public final class Importer {
    public let store: ReportStore
    public let limits: IngestLimits
    /// Called after each input and every 10,000 records with the running totals.
    public var onProgress: ((ImportSummary) -> Void)?
    public private(set) var summary = ImportSummary()
    /// Seconds spent storing raw bytes (hash + compress + write) and parsing + storing reports.
    public private(set) var timing = (raw: 0.0, parse: 0.0)

    public init(store: ReportStore, limits: IngestLimits = IngestLimits()) {
        self.store = store
        self.limits = limits
    }

    // MARK: Inputs

    /// Imports files, directories (recursively; Maildir folders read `cur/` and `new/`), mbox
    /// files, and `-` for standard input.
    @discardableResult
    public func importPaths(_ paths: [String]) -> ImportSummary {
        for path in paths {
            if path == "-" {
                importStandardInput(splittingMbox: true)
            } else {
                importPath(path)
            }
        }
        return summary
    }

    private func importPath(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else {
            // An input that cannot be read is a document that failed: the counts add up.
            summary.documents += 1
            fail(source: path, "cannot read: \(String(cString: strerror(errno)))")
            return
        }
        if st.st_mode & S_IFMT == S_IFDIR {
            importDirectory(path)
        } else {
            importFile(path)
        }
    }

    /// Directories already walked, by device and inode: symbolic-link loops are walked once.
    private var visitedDirectories: Set<[UInt64]> = []

    private func importDirectory(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0, visitedDirectories.insert([UInt64(st.st_dev), UInt64(st.st_ino)]).inserted else {
            return
        }
        let entries = Self.listDirectory(path)
        let isMaildir = ["cur", "new", "tmp"].allSatisfy { entries.contains($0) }
        for name in entries {
            let child = path.hasSuffix("/") ? path + name : path + "/" + name
            if isMaildir {
                // Maildir: messages in cur/ and new/; Maildir++ sub-folders start with a dot.
                if name == "cur" || name == "new" {
                    for message in Self.listDirectory(child) where !message.hasPrefix(".") {
                        importFile(child + "/" + message)
                    }
                } else if name.hasPrefix("."), name != ".", name != "..", Self.isDirectory(child) {
                    importDirectory(child)
                }
                continue
            }
            if name.hasPrefix(".") { continue }
            importPath(child)
        }
    }

    static func listDirectory(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    private func importFile(_ path: String) {
        do {
            let head = try PeekStream(FileStream(path: path), peek: 5).head
            if ContentKind.sniff(head) == .mbox {
                try importMbox(path, name: path, origin: "mbox:\(path)")
            } else {
                importUnit(name: path, origin: "file:\(path)") { try FileStream(path: path) }
            }
        } catch {
            summary.documents += 1
            fail(source: path, "\(error)")
        }
    }

    /// Splits an mbox at its `From ` separator lines; each message is its own document, named
    /// "`name` message N" with the origin "`origin`#N".
    private func importMbox(_ path: String, name mboxName: String, origin: String) throws {
        let stream = try FileStream(path: path)
        var message: [UInt8] = []
        var index = 0
        var oversized = false
        func flush() {
            defer {
                message.removeAll(keepingCapacity: true)
                oversized = false
            }
            guard !message.isEmpty || oversized else { return }
            index += 1
            let name = "\(mboxName) message \(index)"
            if oversized {
                summary.documents += 1
                fail(
                    source: name,
                    "message is larger than the limit of \(ByteCount.format(limits.messageBytes)); not imported")
                return
            }
            let bytes = message
            importUnit(name: name, origin: "\(origin)#\(index)") { MemoryStream(bytes) }
        }
        var line: [UInt8] = []
        func takeLine() {
            let isSeparator = Self.isMboxSeparator(line)
            if isSeparator {
                flush()
            } else if !oversized {
                message.append(contentsOf: line)
                if message.count > limits.messageBytes {
                    oversized = true
                    message.removeAll()
                }
            }
            line.removeAll(keepingCapacity: true)
        }
        try stream.forEachChunk { piece in
            for b in piece {
                if line.count < limits.messageBytes {
                    line.append(b)
                } else if !oversized {
                    oversized = true
                    message.removeAll()
                }
                if b == 0x0A { takeLine() }
            }
        }
        if !line.isEmpty { takeLine() }
        flush()
    }

    /// `From sender Thu Dec  3 10:00:00 2026`: "From ", an address token, then an asctime date
    /// (weekday, month, day, time). Body lines starting "From " are quoted as ">From " by most mbox
    /// writers, but not by all (Postfix's `F` flag, some exports): a body line such as "From
    /// 2024-03-03 00:00 to …" must not split a message, so the date is checked, not only looked for.
    static func isMboxSeparator(_ line: [UInt8]) -> Bool {
        guard line.starts(with: mboxFrom), line.count < 512 else { return false }
        let words = String(decoding: line.dropFirst(5), as: UTF8.self).split(whereSeparator: \.isWhitespace)
        // sender, weekday, month, day, time, then the year (a zone may stand before it).
        func number(_ s: Substring, _ range: ClosedRange<Int>) -> Bool {
            s.allSatisfy { $0.isASCII && $0.isNumber } && Int(s).map(range.contains) == true
        }
        guard words.count >= 6, let w = words.dropFirst().firstIndex(where: { weekdays.contains($0.lowercased()) }),
            w + 4 < words.count, months.contains(words[w + 1].lowercased()), number(words[w + 2], 1...31)
        else { return false }
        let time = words[w + 3].split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(time.count), time.allSatisfy({ number($0, 0...60) }) else { return false }
        let year = number(words[w + 4], 1970...9999) ? words[w + 4] : w + 5 < words.count ? words[w + 5] : ""
        return year.count == 4 && number(year, 1970...9999)
    }

    private static let mboxFrom = Array("From ".utf8)
    private static let weekdays: Set<String> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    private static let months: Set<String> = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]

    /// Whether the last input's raw bytes are in the store (new or already there).
    public private(set) var lastInputStored = false
    /// The stored raw document of the last input.
    public private(set) var lastRawDocumentID: Int64?
    /// The status of the last input's bytes when they were already stored.
    private var lastExistingStatus: RawDocumentStatus?

    /// What became of one input.
    public enum InputOutcome: String, Sendable {
        /// New reports stored.
        case imported
        /// Already stored (same bytes or same reports).
        case duplicate
        /// A failure report or mail without a report.
        case ignored
        /// Stored, but it (or part of it) could not be parsed; or not stored at all.
        case failed
    }

    /// Imports one file as one input (a message fetched from a mailbox, say) under a given name
    /// and origin, and says what became of it.
    public func importInput(path: String, name: String, origin: String) -> InputOutcome {
        let before = summary
        lastExistingStatus = nil
        importUnit(name: name, origin: origin) { try FileStream(path: path) }
        // Bytes stored before: what happened to them then is what this input is.
        switch lastExistingStatus {
        case .failed?: return .failed
        case .ignored?: return .ignored
        case .parsed?, .duplicate?: return .duplicate
        case .pending?, nil: break
        }
        if summary.failed > before.failed { return .failed }
        if summary.imported > before.imported { return .imported }
        if summary.ignored > before.ignored { return .ignored }
        return .duplicate
    }

    /// Imports bytes already in memory (an upload) as one input.
    public func importBytes(_ bytes: [UInt8], name: String, origin: String) {
        importUnit(name: name, origin: origin) { MemoryStream(bytes) }
    }

    /// Reads one message (or report file) from standard input for an MTA pipe: returns whether
    /// its raw bytes are stored — the MTA must retry when they are not.
    public func ingestStandardInput() -> Bool {
        lastInputStored = false
        // One message from the MTA, whatever its body holds: never split as an mbox.
        importStandardInput(splittingMbox: false)
        return lastInputStored
    }

    /// Standard input is spooled to a temporary file so a large report never sits in memory.
    /// With `splittingMbox`, an mbox piped in is split into its messages.
    private func importStandardInput(splittingMbox: Bool) {
        var template = Array("/tmp/dmarcwatch-stdin-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            fail(source: "stdin", "cannot create a temporary file: \(String(cString: strerror(errno)))")
            return
        }
        let path = String(cString: template)
        defer {
            close(fd)
            unlink(path)
        }
        do {
            var total = 0
            try FileStream(descriptor: 0, name: "stdin").forEachChunk { piece in
                total += piece.count
                if total > limits.documentBytes {
                    throw LimitExceeded(what: "standard input", limit: limits.documentBytes)
                }
                guard write(fd, piece.baseAddress, piece.count) == piece.count else {
                    throw IngestError("cannot spool standard input")
                }
            }
            // An mbox piped in (`cat mbox | dmarcwatch import -`) is split like an mbox file.
            if splittingMbox, ContentKind.sniff(try PeekStream(FileStream(path: path), peek: 5).head) == .mbox {
                try importMbox(path, name: "stdin", origin: "stdin")
            } else {
                importUnit(name: "stdin", origin: "stdin") { try FileStream(path: path) }
            }
        } catch {
            summary.documents += 1
            fail(source: "stdin", "\(error)")
        }
    }

    // MARK: Units

    /// Stores one input's raw bytes, then imports what it holds.
    func importUnit(name: String, origin: String, open: @escaping () throws -> ByteStream) {
        summary.documents += 1
        lastInputStored = false
        lastRawDocumentID = nil
        do {
            let peek = try PeekStream(try open(), peek: 512)
            let kind = ContentKind.sniff(peek.head)
            let started = Self.monotonic()
            let stored = try store.storeRaw(stream: peek, origin: origin, mediaType: kind.rawValue)
            lastInputStored = true
            switch stored {
            case .stored(let id): lastRawDocumentID = id
            case .alreadyStored(let existing): lastRawDocumentID = existing.id
            }
            let rawDone = Self.monotonic()
            timing.raw += rawDone - started
            switch stored {
            case .alreadyStored(let existing) where existing.status == .pending:
                // An import that was interrupted before this document was parsed: finish it now.
                try process(rawID: existing.id, name: name, open: open)
                timing.parse += Self.monotonic() - rawDone
            case .alreadyStored(let existing):
                lastExistingStatus = existing.status
                summary.duplicates += 1
                if existing.status == .failed {
                    summary.failedEarlier.append(
                        ImportFailure(source: name, error: existing.error ?? "could not be read"))
                }
            case .stored(let id):
                try process(rawID: id, name: name, open: open)
                timing.parse += Self.monotonic() - rawDone
            }
        } catch {
            fail(source: name, "\(error)")
        }
        onProgress?(summary)
    }

    /// Re-runs the parser over one stored document, whatever its status.
    public func reparse(documentID: Int64) throws {
        guard let doc = try store.rawDocument(id: documentID) else { throw IngestError("no document \(documentID)") }
        reparse(doc)
    }

    private func reparse(_ doc: RawDocumentInfo) {
        summary.documents += 1
        let name = Self.displayName(origin: doc.origin)
        do {
            try process(rawID: doc.id, name: name) { [store] in try store.openRaw(id: doc.id) }
        } catch {
            fail(source: name, "\(error)")
        }
    }

    /// Re-runs the parser over stored documents that failed or were interrupted.
    @discardableResult
    public func reparse() throws -> ImportSummary {
        // Failed and interrupted documents, and TLS-RPT reports kept by versions that did not read them.
        let kept = try store.rawDocuments(status: [.ignored]).filter { $0.kind == "tlsrpt" }
        for doc in try store.rawDocuments(status: [.failed, .pending]) + kept {
            reparse(doc)
            onProgress?(summary)
        }
        return summary
    }

    static func monotonic() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func displayName(origin: String) -> String {
        for prefix in ["file:", "mbox:"] where origin.hasPrefix(prefix) {
            return String(origin.dropFirst(prefix.count))
        }
        return origin
    }

    private func process(rawID: Int64, name: String, open: @escaping () throws -> ByteStream) throws {
        var found: [FoundDocument] = []
        do {
            try DocumentExtractor(limits: limits).examine(
                label: "", open: open, depth: 0, inMessage: false, into: &found)
        } catch {
            found.append(.problem(label: "", message: "\(error)"))
        }
        var problems: [String] = []
        var warnings: [String] = []
        var newReports = 0
        var duplicateReports = 0
        var tlsReports = 0
        var isFailureReport = false
        var noReport: String?
        for item in found {
            switch item {
            case .aggregate(let label, let opener):
                do {
                    let outcome = try parseAggregate(rawID: rawID, label: label, open: opener)
                    if outcome.duplicate {
                        duplicateReports += 1
                    } else {
                        newReports += 1
                        summary.reports += 1
                        summary.records += outcome.records
                        summary.messages += outcome.messages
                    }
                    warnings += outcome.header.warnings.map { Self.labelled(label, $0.description) }
                } catch {
                    problems.append(Self.labelled(label, "\(error)"))
                }
            case .tlsrpt(let label, let opener):
                do {
                    let bytes = try opener().readAll(limit: limits.jsonBytes, what: "the TLS-RPT report")
                    let report = try TLSReportParser.parse(bytes)
                    if try store.storeTLSReport(report, rawDocumentID: rawID) {
                        tlsReports += 1
                        summary.tlsReports += 1
                    } else {
                        duplicateReports += 1
                    }
                    warnings += report.warnings.map { Self.labelled(label, $0.description) }
                } catch {
                    problems.append(Self.labelled(label, "\(error)"))
                }
            case .failureReport:
                isFailureReport = true
            case .noReport(let label, let message):
                noReport = Self.labelled(label, message)
            case .problem(let label, let message):
                problems.append(Self.labelled(label, message))
            case .note(let label, let message):
                warnings.append(Self.labelled(label, message))
            }
        }
        let reportCount = newReports + duplicateReports
        if isFailureReport && reportCount + tlsReports == 0 {
            // Failure reports carry personal data: recognised, counted, and their bytes dropped.
            try store.dropRawBytes(id: rawID)
            try store.markRaw(
                id: rawID, status: .ignored, kind: "failure",
                error: "failure (ruf) report: not stored (personal data)", warnings: [], reportCount: 0)
            summary.ignored += 1
        } else if !problems.isEmpty {
            let error = problems.joined(separator: "; ")
            try store.markRaw(
                id: rawID, status: .failed, kind: reportCount > 0 ? "aggregate" : nil, error: error,
                warnings: warnings, reportCount: reportCount)
            fail(source: name, error)
        } else if newReports > 0 || tlsReports > 0 {
            try store.markRaw(
                id: rawID, status: .parsed, kind: newReports > 0 ? "aggregate" : "tlsrpt", error: nil,
                warnings: warnings,
                reportCount: reportCount + tlsReports)
            summary.imported += 1
        } else if duplicateReports > 0 {
            try store.markRaw(
                id: rawID, status: .duplicate, kind: "aggregate", error: nil, warnings: warnings,
                reportCount: reportCount)
            summary.duplicates += 1
        } else {
            try store.markRaw(
                id: rawID, status: .ignored, kind: "none", error: noReport ?? "no report found", warnings: [],
                reportCount: 0)
            summary.ignored += 1
        }
    }

    static func labelled(_ label: String, _ message: String) -> String {
        label.isEmpty ? message : "\(label): \(message)"
    }

    private func fail(source: String, _ error: String) {
        summary.failed += 1
        summary.failures.append(ImportFailure(source: source, error: error))
    }

    // MARK: Documents

    private func parseAggregate(rawID: Int64, label: String, open: () throws -> ByteStream) throws
        -> AggregateParseOutcome
    {
        let writer = ProgressSink(store.reportWriter(rawDocumentID: rawID, sourceName: label.isEmpty ? nil : label)) {
            [weak self] records in
            guard let self else { return }
            var running = self.summary
            running.records += records
            self.onProgress?(running)
        }
        return try AggregateReportReader(limits: limits).read(open: open, sink: writer)
    }
}

@available(*, unavailable)
extension Importer: Sendable {}

/// Bounds a decompressed stream by the document limit and the compression-ratio limit.
final class RatioBoundedStream: ByteStream {
    private let source: ByteStream
    private let compressed: BoundedStream
    private let limits: IngestLimits
    private var total = 0

    init(_ source: ByteStream, compressed: BoundedStream, limits: IngestLimits) {
        self.source = source
        self.compressed = compressed
        self.limits = limits
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try source.read(into: buffer)
        total += n
        if total > limits.documentBytes {
            throw LimitExceeded(what: "the decompressed document", limit: limits.documentBytes)
        }
        if total > 1 << 20, total / max(compressed.total, 1) > limits.compressionRatio {
            throw IngestError(
                "the compressed data expands more than \(limits.compressionRatio):1 (a decompression bomb?); refused")
        }
        return n
    }

    var inputWarnings: [ParseWarning] { source.inputWarnings }
}

/// A zip entry's data, bounded like `RatioBoundedStream`; it keeps its reader alive.
final class ZipEntryBoundedStream: ByteStream {
    private let reader: ZipArchiveReader
    private let data: ByteStream
    private let limits: IngestLimits
    private var total = 0

    init(reader: ZipArchiveReader, limits: IngestLimits) {
        self.reader = reader
        data = reader.entryStream()
        self.limits = limits
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try data.read(into: buffer)
        total += n
        if total > limits.documentBytes {
            throw LimitExceeded(what: "the decompressed zip entry", limit: limits.documentBytes)
        }
        if total > 1 << 20, total / max(reader.compressedBytes, 1) > limits.compressionRatio {
            throw IngestError(
                "the zip entry expands more than \(limits.compressionRatio):1 (a decompression bomb?); refused")
        }
        return n
    }
}

/// Forwards to a sink and reports the record count every 10,000 records.
final class ProgressSink: AggregateReportSink {
    private let inner: AggregateReportSink
    private let progress: (Int) -> Void
    private var records = 0

    init(_ inner: AggregateReportSink, progress: @escaping (Int) -> Void) {
        self.inner = inner
        self.progress = progress
    }

    func begin(_ header: AggregateReportHeader) throws -> Bool { try inner.begin(header) }

    func record(_ record: AggregateRecord) throws {
        try inner.record(record)
        records += 1
        if records % 10_000 == 0 { progress(records) }
    }

    func finish(_ header: AggregateReportHeader) throws { try inner.finish(header) }
    func abort() { inner.abort() }
}
