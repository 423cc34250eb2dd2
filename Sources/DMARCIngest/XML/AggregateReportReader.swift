import DMARCCore

/// Reads one aggregate report document into a sink: a strict streaming parse first, with the
/// indentation between tags dropped before libxml2 reads it; when the document is not
/// well-formed, the same parse as the file is (for an error whose line numbers are the file's),
/// then the repairs of `XMLRepair` in memory and another parse; as a last resort libxml2's
/// recovery mode, with a warning that data may be missing.
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
            let bytes: [UInt8]
            do {
                bytes = try open().readAll(limit: limits.repairBytes, what: "a malformed document to be repaired")
            } catch is LimitExceeded {
                throw XMLSyntaxError(
                    message:
                        "\(original.message) (the document is over \(ByteCount.format(limits.repairBytes)), too large to repair)"
                )
            }
            let (fixed, repairs) = XMLRepair.repair(bytes)
            do {
                return try parser.parse(stream: MemoryStream(fixed), initialWarnings: repairs, sink: sink)
            } catch is XMLSyntaxError {
                let recovered =
                    repairs + [
                        ParseWarning(
                            code: "xml-recovered",
                            message: "\(original.message); read in recovery mode, data may be missing")
                    ]
                do {
                    return try parser.parse(
                        stream: MemoryStream(fixed), recover: true, initialWarnings: recovered, sink: sink)
                } catch is XMLSyntaxError {
                    throw original
                }
            }
        }
    }
}
