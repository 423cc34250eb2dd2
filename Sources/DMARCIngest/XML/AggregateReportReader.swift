import DMARCCore

/// Reads one aggregate report document into a sink: a strict streaming parse first, with the
/// indentation between tags dropped before libxml2 reads it; when the document is not
/// well-formed, a parse through the repairs of `XMLRepair`; when that fails too, the parse
/// of the file as it is (for an error whose line numbers are the file's), then as a last resort
/// the repaired bytes in libxml2's recovery mode, with a warning that data may be missing.
struct AggregateReportReader {
    let limits: IngestLimits

    func read(open: () throws -> ByteStream, sink: AggregateReportSink) throws -> AggregateParseOutcome {
        let parser = AggregateXMLParser(limits: limits)
        do {
            return try parser.parse(stream: try open(), stripIndentation: true, sink: sink)
        } catch is XMLSyntaxError {
            // The repairs are made as the bytes are read again (in memory that does not grow
            // with the document), a few buffers ahead on a thread of their own; they add their
            // warnings when the document has been read.
            do {
                let repaired = PrefetchStream(TransformStream(source: try open(), transform: XMLRepair()))
                return try parser.parse(stream: repaired, stripIndentation: true, sink: sink)
            } catch is XMLSyntaxError {}
        }
        // Beyond repair: the error as the file is, for line numbers that are the file's (dropping
        // indentation keeps a document well-formed exactly when it was, so this fails too).
        let original: XMLSyntaxError
        do {
            return try parser.parse(stream: try open(), sink: sink)
        } catch let error as XMLSyntaxError {
            original = error
        }
        let recovered = ParseWarning(
            code: "xml-recovered", message: "\(original.message); read in recovery mode, data may be missing")
        do {
            return try parser.parse(
                stream: TransformStream(source: try open(), transform: XMLRepair()), recover: true, initialWarnings: [recovered], sink: sink)
        } catch is XMLSyntaxError {
            // libxml2 may give up (on a huge text node) before a limit on the input is reached:
            // a compression bomb is named as such, not as an XML error.
            try readToEnd(try open())
            // A DOCTYPE whose entities libxml2 stopped at (a "billion laughs") is refused for
            // having a DOCTYPE, as one that parses is.
            if try declaresDoctype(try open()) {
                throw IngestError(
                    "the document has a DOCTYPE declaration, which reports never need; refused (\(original.message))")
            }
            throw original
        }
    }

    /// Whether the document's prolog (its first 4 KiB) holds `<!DOCTYPE`.
    private func declaresDoctype(_ stream: ByteStream) throws -> Bool {
        try PeekStream(stream, peek: 4_096).head.firstRange(of: Array("<!DOCTYPE".utf8)) != nil
    }

    /// Reads a document through, holding nothing, for the limits on its decompression and size.
    private func readToEnd(_ stream: ByteStream) throws {
        var total = 0
        try stream.forEachChunk { piece in
            total += piece.count
            if total > limits.documentBytes {
                throw LimitExceeded(what: "the decompressed document", limit: limits.documentBytes)
            }
        }
    }
}
