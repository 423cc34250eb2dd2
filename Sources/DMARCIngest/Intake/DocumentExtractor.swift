import DMARCCore
import DMARCStore

/// A document found inside an input.
enum FoundDocument {
    case aggregate(label: String, open: () throws -> ByteStream)
    case tlsrpt(label: String, open: () throws -> ByteStream)
    case failureReport(label: String)
    case noReport(label: String, message: String)
    case problem(label: String, message: String)
    /// Something skipped that is worth a warning but is not an error (a README in a zip).
    case note(label: String, message: String)
}

/// Finds the documents in a run of bytes by sniffing its content: gzip, zip (every entry), XML,
/// JSON, or a mail message whose parts are examined in turn. Names and MIME types are only labels.
struct DocumentExtractor {
    let limits: IngestLimits

    private static func join(_ label: String, _ part: String) -> String {
        label.isEmpty ? part : "\(label) > \(part)"
    }

    /// Finds the documents in a run of bytes by sniffing: gzip, zip (every entry), XML, JSON, or a
    /// mail message whose parts are examined in turn.
    func examine(
        label: String, open: @escaping () throws -> ByteStream, depth: Int, inMessage: Bool,
        insideArchive: Bool = false, into found: inout [FoundDocument]
    ) throws {
        guard depth <= limits.mimeDepth else {
            found.append(.problem(label: label, message: "nested more than \(limits.mimeDepth) levels deep"))
            return
        }
        let head = try PeekStream(try open(), peek: 512).head
        let kind = ContentKind.sniff(head)
        switch kind {
        case .gzip:
            let limits = self.limits
            let inflated: () throws -> ByteStream = {
                let counted = BoundedStream(try open(), limit: Int.max, what: "")
                let gunzip = try GzipInflateStream(source: counted)
                return RatioBoundedStream(gunzip, compressed: counted, limits: limits)
            }
            try examine(
                label: label, open: inflated, depth: depth + 1, inMessage: inMessage, insideArchive: insideArchive,
                into: &found)
        case .zip where insideArchive:
            // Archives inside archives multiply work without bound ("42.zip"); reports never need them.
            found.append(.problem(label: label, message: "a zip archive inside a zip archive is not read"))
        case .zip:
            try examineZip(label: label, open: open, depth: depth, into: &found)
        case .xml:
            // Decompressing (gzip, a zip entry) runs a few buffers ahead on another core while
            // the parser works. A plain file or bytes in memory are read directly: a thread
            // copying them ahead only competes with the parser and the writer for the two cores.
            if depth == 0 {
                found.append(.aggregate(label: label, open: open))
            } else {
                found.append(.aggregate(label: label, open: { PrefetchStream(try open()) }))
            }
        case .xmlUTF16:
            found.append(.aggregate(label: label, open: { TransformStream(source: try open(), transform: UTF16ToUTF8()) }))
        case .json:
            found.append(.tlsrpt(label: label, open: open))
        case .message, .mbox:
            if inMessage {
                return
            }
            var bytes = try open().readAll(limit: limits.messageBytes, what: "the message")
            // A single message with an mbox "From " envelope line (Postfix pipe flag F, saved mail).
            if bytes.starts(with: Array("From ".utf8)), let newline = bytes.firstIndex(of: 0x0A) {
                bytes.removeSubrange(...newline)
            }
            let walk = try MIMEMessage.walk(bytes, maxDepth: limits.mimeDepth)
            if walk.isFailureReport {
                found.append(.failureReport(label: label))
                return
            }
            let before = found.count
            for leaf in walk.leaves {
                let leafKind = ContentKind.sniff(Array(leaf.bytes.prefix(512)))
                guard [.gzip, .zip, .xml, .xmlUTF16, .json].contains(leafKind) else {
                    // Named or typed as a report, but not one: an error to see, not a mail to skip.
                    if Self.looksLikeReport(leaf) {
                        let what = leafKind == .empty ? "is empty" : "is not XML, JSON, gzip or zip"
                        found.append(
                            .problem(
                                label: Self.join(label, leaf.label),
                                message: "the attachment's name or type says report, but its content \(what)"))
                    }
                    continue
                }
                let bytes = leaf.bytes
                try examine(
                    label: Self.join(label, leaf.label), open: { MemoryStream(bytes) }, depth: depth + 1,
                    inMessage: true,
                    insideArchive: insideArchive, into: &found)
            }
            if found.count == before && walk.looksLikeFailureReport {
                found.append(.failureReport(label: label))
            } else if found.count == before {
                let subject = walk.subject.map { " (subject: \"\($0.prefix(80))\")" } ?? ""
                found.append(.noReport(label: label, message: "mail message without a report attachment\(subject)"))
            }
        case .empty where inMessage:
            found.append(.note(label: label, message: "empty; skipped"))
        case .empty:
            found.append(.problem(label: label, message: "empty file: no report in it"))
        case .unknown:
            if !inMessage {
                found.append(
                    .problem(
                        label: label, message: "not a report: the content is not XML, JSON, gzip, zip or a mail message"
                    ))
            }
        }
    }

    private func examineZip(
        label: String, open: @escaping () throws -> ByteStream, depth: Int, into found: inout [FoundDocument]
    ) throws {
        let reader = try ZipArchiveReader(stream: try open(), name: label, limits: limits)
        var names: [String] = []
        while let name = try reader.nextEntry() {
            names.append(name)
            if names.count > limits.zipEntries {
                throw IngestError("the zip archive has more than \(limits.zipEntries) entries")
            }
        }
        if names.isEmpty {
            found.append(.problem(label: label, message: "the zip archive is empty"))
        }
        let limits = self.limits
        for (index, name) in names.enumerated() {
            let entry: () throws -> ByteStream = {
                let reader = try ZipArchiveReader(stream: try open(), name: label, limits: limits)
                for _ in 0...index { _ = try reader.nextEntry() }
                return ZipEntryBoundedStream(reader: reader, limits: limits)
            }
            let before = found.count
            try examine(
                label: Self.join(label, "zip entry \"\(name)\""), open: entry, depth: depth + 1, inMessage: true,
                insideArchive: true, into: &found)
            if found.count == before {
                found.append(.note(label: Self.join(label, "zip entry \"\(name)\""), message: "not a report; skipped"))
            }
        }
    }

    /// File-name endings and MIME types that report senders use for reports.
    static let reportSuffixes = [".xml", ".gz", ".gzip", ".zip", ".json"]
    static let reportTypes: Set<String> = [
        "application/zip", "application/x-zip", "application/x-zip-compressed", "application/gzip",
        "application/x-gzip", "application/xml", "text/xml", "application/tlsrpt+json", "application/tlsrpt+gzip",
    ]

    /// Whether a mail part is named or typed as a report.
    static func looksLikeReport(_ leaf: MIMELeaf) -> Bool {
        if let name = leaf.filename?.lowercased(), reportSuffixes.contains(where: { name.hasSuffix($0) }) {
            return true
        }
        return reportTypes.contains(leaf.contentType.lowercased())
    }
}
