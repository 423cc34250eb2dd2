import DMARCCore

/// Why a document could not be imported, in words for the person running the import.
public struct IngestError: Error, Sendable, CustomStringConvertible {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// The bounds every untrusted input is held to (DESIGN §2). Each is a setting.
public struct IngestLimits: Sendable {
    /// Largest mail message or input file that is read whole into memory.
    public var messageBytes = 50 << 20
    /// Largest decompressed document.
    public var documentBytes = 1 << 30
    /// Most entries read from one zip archive.
    public var zipEntries = 100
    /// Largest ratio of decompressed to compressed size.
    public var compressionRatio = 1000
    /// Most records in one report.
    public var recordsPerReport = 5_000_000
    /// Largest JSON document (a TLS report), which is read whole into memory.
    public var jsonBytes = 64 << 20
    /// Deepest MIME nesting followed.
    public var mimeDepth = 10

    public init() {}

    /// The settings, each read from `setting(name)` when it is there (the command line passes the
    /// environment): sizes in bytes or with KiB, MiB or GiB, counts as whole numbers, above zero.
    public init(settings lookup: (String) -> String?) throws {
        // An empty setting is no setting.
        func setting(_ name: String) -> String? { lookup(name).flatMap { $0.isEmpty ? nil : $0 } }
        func size(_ name: String, _ value: inout Int) throws {
            guard let text = setting(name) else { return }
            guard let n = Self.parseSize(text), n > 0 else {
                throw IngestError("\(name)=\(text): not a size (a number of bytes, or with KiB, MiB or GiB)")
            }
            value = n
        }
        func count(_ name: String, _ value: inout Int) throws {
            guard let text = setting(name) else { return }
            guard let n = Int(text), n > 0 else { throw IngestError("\(name)=\(text): not a whole number above 0") }
            value = n
        }
        try size("DMARCWATCH_MAX_MESSAGE", &messageBytes)
        try size("DMARCWATCH_MAX_DOCUMENT", &documentBytes)
        try size("DMARCWATCH_MAX_JSON", &jsonBytes)
        try count("DMARCWATCH_MAX_ZIP_ENTRIES", &zipEntries)
        try count("DMARCWATCH_MAX_COMPRESSION_RATIO", &compressionRatio)
        try count("DMARCWATCH_MAX_RECORDS", &recordsPerReport)
        try count("DMARCWATCH_MAX_MIME_DEPTH", &mimeDepth)
        // Each level of MIME nesting is a level of recursion.
        guard mimeDepth <= 100 else { throw IngestError("DMARCWATCH_MAX_MIME_DEPTH=\(mimeDepth): at most 100") }
    }

    /// The names of the settings, with what each bounds and its default, for help texts.
    public static var settingsHelp: String {
        let d = IngestLimits()
        let rows: [(String, String, String)] = [
            ("DMARCWATCH_MAX_MESSAGE", "largest mail message or file read whole", ByteCount.format(d.messageBytes)),
            ("DMARCWATCH_MAX_DOCUMENT", "largest decompressed report", ByteCount.format(d.documentBytes)),
            ("DMARCWATCH_MAX_JSON", "largest TLS report (JSON, read whole)", ByteCount.format(d.jsonBytes)),
            ("DMARCWATCH_MAX_ZIP_ENTRIES", "most entries read from one zip archive", "\(d.zipEntries)"),
            ("DMARCWATCH_MAX_COMPRESSION_RATIO", "largest decompressed:compressed ratio", "\(d.compressionRatio)"),
            ("DMARCWATCH_MAX_RECORDS", "most records in one report", "\(d.recordsPerReport)"),
            ("DMARCWATCH_MAX_MIME_DEPTH", "deepest MIME nesting followed", "\(d.mimeDepth)"),
        ]
        return rows.map { "  " + $0.0 + String(repeating: " ", count: 34 - $0.0.count) + "\($0.1) (\($0.2))" }
            .joined(separator: "\n")
    }

    /// `123`, `64KiB`, `50 MiB`, `1GiB` (also KB/MB/GB and K/M/G, read as powers of 1024).
    static func parseSize(_ text: String) -> Int? {
        let t = text.lowercased().filter { $0 != " " }
        let digits = t.prefix { $0.isASCII && $0.isNumber }
        guard let n = Int(digits) else { return nil }
        let unit = t.dropFirst(digits.count)
        let shift: Int
        switch unit {
        case "", "b": shift = 0
        case "k", "kb", "kib": shift = 10
        case "m", "mb", "mib": shift = 20
        case "g", "gb", "gib": shift = 30
        default: return nil
        }
        let (value, overflow) = n.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? nil : value
    }
}
