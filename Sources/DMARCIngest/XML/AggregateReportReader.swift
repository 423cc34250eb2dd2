import DMARCCore

/// Reads one aggregate report document into a sink: a strict streaming parse first, with the
/// indentation between tags dropped before libxml2 reads it; when the document is not
/// well-formed, the same parse as the file is (for an error whose line numbers are the file's),
/// then a parse through the repairs of `XMLRepairStream`; as a last resort, the repaired bytes in
/// libxml2's recovery mode, with a warning that data may be missing.
struct AggregateReportReader {
    let limits: IngestLimits

    func read(open: () throws -> ByteStream, sink: AggregateReportSink) throws -> AggregateParseOutcome {
        let parser = AggregateXMLParser(limits: limits)
        do {
            do {
                return try parser.parse(stream: try open(), stripIndentation: true, sink: sink)
            } catch is XMLSyntaxError {
                return try parser.parse(stream: try open(), sink: sink)
            }
        } catch let original as XMLSyntaxError {
            // The repairs are made as the bytes are read again (in memory that does not grow
            // with the document); they add their warnings when the document is read.
            do {
                return try parser.parse(stream: XMLRepairStream(source: try open()), stripIndentation: true, sink: sink)
            } catch is XMLSyntaxError {
                let recovered = ParseWarning(
                    code: "xml-recovered", message: "\(original.message); read in recovery mode, data may be missing")
                do {
                    return try parser.parse(
                        stream: XMLRepairStream(source: try open()), recover: true, initialWarnings: [recovered],
                        sink: sink)
                } catch is XMLSyntaxError {
                    // libxml2 may give up (on a huge text node) before a limit on the input is
                    // reached: a compression bomb is named as such, not as an XML error.
                    try readToEnd(try open())
                    throw original
                }
            }
        }
    }

    /// Reads a document through, holding nothing, for the limits on its decompression and size.
    private func readToEnd(_ stream: ByteStream) throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var total = 0
        while true {
            let n = try chunk.withUnsafeMutableBytes { try stream.read(into: $0) }
            if n == 0 { return }
            total += n
            if total > limits.documentBytes {
                throw LimitExceeded(what: "the decompressed document", limit: limits.documentBytes)
            }
        }
    }
}
