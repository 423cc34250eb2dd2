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
}
