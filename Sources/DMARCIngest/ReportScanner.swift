import DMARCCore

/// Reads every aggregate report in a file into a caller's sink, the way `import` does (content
/// sniffing, gzip, zip, MIME, repairs) but without storing anything: for benchmarks and checks.
public struct ReportScanner {
    public let limits: IngestLimits

    public init(limits: IngestLimits = IngestLimits()) { self.limits = limits }

    /// Returns the outcome of each aggregate report found, and the problems met.
    public func scan(path: String, sink: AggregateReportSink) throws -> (
        reports: [AggregateParseOutcome], problems: [String]
    ) {
        try scan(open: { try FileStream(path: path) }, sink: sink)
    }

    /// The same for bytes in memory.
    public func scan(bytes: [UInt8], sink: AggregateReportSink) throws -> (
        reports: [AggregateParseOutcome], problems: [String]
    ) {
        try scan(open: { MemoryStream(bytes) }, sink: sink)
    }

    private func scan(open: @escaping () throws -> ByteStream, sink: AggregateReportSink) throws -> (
        reports: [AggregateParseOutcome], problems: [String]
    ) {
        var found: [FoundDocument] = []
        try DocumentExtractor(limits: limits).examine(
            label: "", open: open, depth: 0, inMessage: false, into: &found)
        var outcomes: [AggregateParseOutcome] = []
        var problems: [String] = []
        for item in found {
            switch item {
            case .aggregate(let label, let open):
                do {
                    outcomes.append(try AggregateReportReader(limits: limits).read(open: open, sink: sink))
                } catch {
                    problems.append(Importer.labelled(label, "\(error)"))
                }
            case .problem(let label, let message):
                problems.append(Importer.labelled(label, message))
            default:
                break
            }
        }
        return (outcomes, problems)
    }
}
