/// Receives an aggregate report from the streaming parser: the header once, then each record,
/// then the final header (which may have gained warnings or late elements).
///
/// The parser never holds all records of a report; a sink that stores them must do so as they
/// arrive.
public protocol AggregateReportSink: AnyObject {
    /// Called once, before the first record. Returns `false` when the report is already known;
    /// its records are then read but not passed on.
    func begin(_ header: AggregateReportHeader) throws -> Bool
    /// Called for each valid record, in document order.
    func record(_ record: AggregateRecord) throws
    /// Called once after the last record, with the complete header.
    func finish(_ header: AggregateReportHeader) throws
    /// Called instead of `finish` when parsing failed part-way; everything since `begin` must be
    /// discarded.
    func abort()
}
