/// One input that could not be imported, and why.
public struct ImportFailure: Sendable, Equatable {
    /// The file, message or entry, as the user named it.
    public var source: String
    public var error: String
}

/// The totals of one import run, in the shape of `import --json` (DESIGN §6).
///
/// A *document* is one input unit: a file, or one message of an mbox, a Maildir or stdin.
public struct ImportSummary: Sendable, Equatable {
    public var documents = 0
    /// Documents that added at least one new report.
    public var imported = 0
    /// Documents already stored (same bytes), or whose reports were all stored before.
    public var duplicates = 0
    public var failed = 0
    /// Failure (ruf) reports (recognised, not kept) and mail without a report.
    public var ignored = 0
    public var reports = 0
    /// New SMTP TLS (RFC 8460) reports.
    public var tlsReports = 0
    public var records = 0
    public var messages: Int64 = 0
    public var failures: [ImportFailure] = []
    /// Duplicates whose bytes were stored by an earlier import that could not read them, with
    /// the error stored then (`reparse` retries them). Counted as duplicates, not as failed.
    public var failedEarlier: [ImportFailure] = []

    public init() {}
}
