internal import CLibXML2
import DMARCCore

#if canImport(Glibc)
    import Glibc
#endif

/// A document that is not well-formed XML, with libxml2's message and position.
struct XMLSyntaxError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// What one parse produced.
public struct AggregateParseOutcome: Sendable {
    public var header: AggregateReportHeader
    public var records = 0
    public var messages: Int64 = 0
    /// The sink said it already had this report; the rest of the document was not read.
    public var duplicate = false
}

/// Feeds libxml2 from a `ByteStream`, remembering the first stream error (libxml2 only sees -1)
/// and the first XML error reported through the structured handler.
final class XMLInputContext {
    let stream: ByteStream
    let limit: Int
    var total = 0
    var streamError: Error?
    var xmlError: String?
    /// Drops the indentation between tags as the bytes are read, when set.
    var indentation: Indentation?

    init(stream: ByteStream, limit: Int, stripIndentation: Bool) {
        self.stream = stream
        self.limit = limit
        indentation = stripIndentation ? Indentation() : nil
    }

    /// The next bytes for libxml2 (0 at the end), counting what the source gave against the limit.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count: Int
        if let (passed, read) = try indentation?.read(from: stream, into: buffer) {
            count = passed
            total += read
        } else {
            count = try stream.read(into: buffer)
            total += count
        }
        if total > limit { throw LimitExceeded(what: "the decompressed document", limit: limit) }
        return count
    }
}

/// libxml2's read callback. `context` is an unretained `XMLInputContext` that the parser keeps
/// alive until the reader is freed.
func xmlInputRead(_ context: UnsafeMutableRawPointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ length: Int32) -> Int32
{
    guard let context, let buffer, length > 0 else { return -1 }
    let input = Unmanaged<XMLInputContext>.fromOpaque(context).takeUnretainedValue()
    do {
        return Int32(try input.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(length))))
    } catch {
        input.streamError = error
        return -1
    }
}

func xmlInputClose(_ context: UnsafeMutableRawPointer?) -> Int32 { 0 }

/// libxml2's structured error callback; keeps the first error's message and line.
func xmlInputError(_ context: UnsafeMutableRawPointer?, _ error: xmlErrorPtr?) {
    guard let context, let error else { return }
    let input = Unmanaged<XMLInputContext>.fromOpaque(context).takeUnretainedValue()
    guard input.xmlError == nil, error.pointee.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
    let text = error.pointee.message.map { String(cString: $0) } ?? "unknown XML error"
    input.xmlError = "\(text.trimmedASCII) at line \(error.pointee.line)"
}

/// Streams an aggregate report through libxml2's `xmlTextReader` into a sink, normalising values
/// (SPEC §6.3) and keeping a warning for every repair. Memory does not grow with the number of
/// records. No DTD is loaded, no entity is expanded and nothing is fetched from the network.
struct AggregateXMLParser {
    let limits: IngestLimits
    /// Size of each buffer of events between libxml2's thread and this one (tests make it small,
    /// so that events and text are cut at every possible place).
    var eventBufferSize = 128 * 1024

    /// Parses one document into `sink`. With `stripIndentation`, the line breaks and indentation
    /// between tags are dropped before libxml2 reads them (`Indentation`): the same report for less
    /// work, but line numbers in libxml2's errors then count the lines left.
    func parse(
        stream: ByteStream, recover: Bool = false, stripIndentation: Bool = false,
        initialWarnings: [ParseWarning] = [], sink: AggregateReportSink
    ) throws -> AggregateParseOutcome {
        LibXML.ensureInitialised()
        let input = XMLInputContext(stream: stream, limit: limits.documentBytes, stripIndentation: stripIndentation)
        let context = Unmanaged.passUnretained(input).toOpaque()
        // NOBLANKS drops the white space between elements, which is most text nodes of a report.
        var options = Int32(
            XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
                | XML_PARSE_NOBLANKS.rawValue)
        if recover { options |= Int32(XML_PARSE_RECOVER.rawValue) }
        guard let reader = xmlReaderForIO(xmlInputRead, xmlInputClose, context, nil, nil, options) else {
            throw IngestError("libxml2 could not start a reader")
        }
        defer { xmlFreeTextReader(reader) }
        xmlTextReaderSetStructuredErrorHandler(reader, xmlInputError, context)
        var state = ParserState(limits: limits, sink: sink)
        for warning in initialWarnings { state.warnings.add(warning) }
        do {
            try withExtendedLifetime(input) {
                // libxml2 reads on a thread of its own; this thread makes the report of its nodes.
                let events = XMLEventPipe(reader: reader, bufferSize: eventBufferSize)
                defer { events.close() }
                try state.run(events: events, input: input)
            }
        } catch {
            state.abortSink()
            throw error
        }
        return state.outcome
    }
}

/// The open elements' tags, innermost last. A class over one buffer: as an array inside the
/// parser state, every push and pop paid for a uniqueness check and a capacity check (3% of the
/// instructions of the thread building records, by callgrind).
private final class TagStack {
    private var tags: UnsafeMutablePointer<ReportTag>
    private var capacity = 32
    private(set) var count = 0

    init() { tags = .allocate(capacity: capacity) }

    deinit { tags.deallocate() }

    @inline(__always)
    func push(_ tag: ReportTag) {
        if count == capacity { grow() }
        tags[count] = tag
        count += 1
    }

    @inline(__always)
    func pop() -> ReportTag? {
        guard count > 0 else { return nil }
        count -= 1
        return tags[count]
    }

    @inline(__always)
    subscript(i: Int) -> ReportTag {
        precondition(i >= 0 && i < count)
        return tags[i]
    }

    func contains(_ tag: ReportTag) -> Bool {
        (0..<count).contains { tags[$0] == tag }
    }

    private func grow() {
        let larger = UnsafeMutablePointer<ReportTag>.allocate(capacity: capacity * 2)
        larger.initialize(from: tags, count: count)
        tags.deallocate()
        tags = larger
        capacity *= 2
    }
}

/// The mutable state of one parse.
private struct ParserState {
    let limits: IngestLimits
    let sink: AggregateReportSink
    var header = AggregateReportHeader()
    var warnings = WarningCollector()
    var outcome: AggregateParseOutcome
    let stack = TagStack()
    var feedbackDepth = -1
    /// The report's <feedback> has ended; anything after it is not read into the report.
    var feedbackDone = false
    var sawSecondFeedback = false
    /// The text of the element being read. Kept in a struct of its own: reading it through
    /// getters on the parser state made Swift copy the whole state (every field retained).
    var text = ElementText()
    var recent = RecentValues()
    var names = NameCache()
    /// libxml2's interned copy of the report's namespace URI, compared by address.
    var reportNamespace: UnsafeRawPointer?
    var metadataDone = false
    var policyDone = false
    var begun = false
    var accepting = true
    var pending: [AggregateRecord] = []
    var current = AggregateRecord()
    var currentDKIM = DKIMAuthResult()
    var currentSPF = SPFAuthResult()
    var currentReason = PolicyOverrideReason(type: "")
    var sawLegacyOverride = false
    var unknownElements: Set<String> = []
    var recordIndex = 0
    var headerChecked = false
    /// No receiver counts a trillion messages from one source in a day; larger counts are hostile
    /// and would overflow the sums.
    static let maximumCount: Int64 = 1 << 40
    /// Dates after 2200-01-01 are not real report periods.
    static let latestEpoch: Int64 = 7_258_118_400
    /// Reports cover a day, sometimes several; a period over a year is not a report period.
    static let longestPeriod: Int64 = 366 * 86_400

    init(limits: IngestLimits, sink: AggregateReportSink) {
        self.limits = limits
        self.sink = sink
        outcome = AggregateParseOutcome(header: AggregateReportHeader())
    }

    mutating func abortSink() {
        if begun && accepting { sink.abort() }
    }

    mutating func run(events: XMLEventPipe, input: XMLInputContext) throws {
        var finished = false
        reading: while var cursor = events.nextBuffer() {
            while let event = cursor.next() {
                switch event {
                case .element(let name, let namespace, let empty):
                    let tag = tagFor(name: name, namespace: namespace)
                    try startElement(tag, namespace: namespace)
                    if empty { try endElement() }
                case .end:
                    try endElement()
                    if outcome.duplicate { return }
                case .text(let bytes):
                    text.append(bytes)
                case .doctype:
                    throw IngestError("the document has a DOCTYPE declaration, which reports never need; refused")
                case .entityReference:
                    throw IngestError("the document uses entity references, which are not expanded; refused")
                case .finished:
                    finished = true
                    break reading
                case .failed:
                    break reading
                }
            }
        }
        if !finished {
            if let error = input.streamError { throw error }
            throw XMLSyntaxError(message: "not well-formed XML: \(input.xmlError ?? "parse error")")
        }
        if let error = input.streamError { throw error }
        // Everything has been read: what the input's repairs changed is known.
        for warning in input.stream.inputWarnings { warnings.add(warning) }
        guard feedbackDepth >= 0 else {
            throw IngestError("not a DMARC aggregate report: no <feedback> element")
        }
        try finishDocument()
    }

    /// The tag of an element, from its local name and namespace URI as libxml2 interned them.
    mutating func tagFor(name: UnsafePointer<UInt8>?, namespace ns: UnsafePointer<UInt8>?) -> ReportTag {
        guard let name else { return .other }
        let key = UnsafeRawPointer(name)
        // Only elements with no namespace, or the report's own, are cached by name: a foreign
        // element with the same local name must not decide the tag of the real one.
        let namespace = ns.map { UnsafeRawPointer($0) }
        let cacheable = namespace == nil || (namespace == reportNamespace && reportNamespace != nil)
        if cacheable, let tag = names.lookup(key) { return tag }
        let string = String(cString: name)
        var tag = ReportTag.byName[string] ?? .other
        // Extension elements from other namespaces are not report elements, even if a name matches.
        if tag != .other, let ns {
            let uri = String(cString: ns)
            if uri != "urn:ietf:params:xml:ns:dmarc-2.0" && !uri.hasPrefix("http://dmarc.org/dmarc-xml/")
                && feedbackDepth >= 0 && uri != header.namespace
            {
                tag = .other
            }
        }
        if tag == .other, feedbackDepth >= 0, !stack.contains(.extensionElement), unknownElements.count < 20,
            unknownElements.insert(string).inserted
        {
            warnings.add(code: "unknown-element", "element <\(string)> is not part of the report schema; ignored")
        }
        if cacheable { names.insert(key, tag) }
        return tag
    }

    mutating func startElement(_ tag: ReportTag, namespace ns: UnsafePointer<UInt8>?) throws {
        text.clear()
        if feedbackDepth < 0 {
            if tag == .feedback {
                feedbackDepth = stack.count
                if let ns {
                    header.namespace = String(cString: ns)
                    reportNamespace = UnsafeRawPointer(ns)
                }
                switch header.namespace {
                case "urn:ietf:params:xml:ns:dmarc-2.0": header.flavour = .rfc9990
                case nil, "http://dmarc.org/dmarc-xml/0.1": header.flavour = .rfc7489
                case let other?:
                    warnings.add(
                        code: "unknown-namespace", "unknown report namespace \(other); parsed by element names")
                }
            } else if stack.count >= 1 {
                // A syntax error to the reader: the repairs remove stray elements before the report.
                throw XMLSyntaxError(message: "not a DMARC aggregate report: the root element is not <feedback>")
            }
        }
        stack.push(tag)
        // One report per document: what follows the first <feedback> (a second one inside a
        // wrapper) is not merged into it.
        if feedbackDone {
            if tag == .feedback && !sawSecondFeedback {
                sawSecondFeedback = true
                warnings.add(code: "ignored-content", "a second <feedback> element in the document was ignored")
            }
            return
        }
        let rel = stack.count - feedbackDepth - 1
        if feedbackDepth >= 0 && rel == 1 && tag == .record {
            current = AggregateRecord()
            recordIndex += 1
        }
        if feedbackDepth >= 0 && rel >= 1 && stack[feedbackDepth + 1] == .record {
            switch (rel, tag) {
            case (2, .identities): markDraft()
            case (3, .dkim) where stack[feedbackDepth + 2] == .authResults: currentDKIM = DKIMAuthResult()
            case (3, .spf) where stack[feedbackDepth + 2] == .authResults: currentSPF = SPFAuthResult()
            case (4, .reason): currentReason = PolicyOverrideReason(type: "")
            default: break
            }
        }
    }

    mutating func markDraft() {
        if header.flavour == .rfc7489 { header.flavour = .draft }
    }

    mutating func mark9990() {
        if header.flavour == .rfc7489 || header.flavour == .draft { header.flavour = .rfc9990NoNamespace }
    }

    mutating func normalized(_ field: NormalizedField) -> String? {
        let t = text.trimmed
        if let canonical = ValueNormalizer.canonicalValue(t, as: field) {
            if t.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) {
                warnings.add(
                    code: "value-mapped",
                    "\(field.rawValue) \"\(String(decoding: t.prefix(64), as: UTF8.self))\" read as \"\(canonical)\"")
            }
            return canonical
        }
        let n = ValueNormalizer.normalize(String(decoding: text.bytes, as: UTF8.self), as: field)
        warnings.add(n.warning)
        return n.value
    }

    mutating func endElement() throws {
        guard let tag = stack.pop() else { return }
        guard feedbackDepth >= 0, stack.count > feedbackDepth, !feedbackDone else {
            if feedbackDepth >= 0 && stack.count == feedbackDepth && tag == .feedback { feedbackDone = true }
            return
        }
        let depth = stack.count - feedbackDepth - 1
        switch depth {
        case 0:
            switch tag {
            case .version: header.version = text.value
            case .reportMetadata: metadataDone = true
            case .policyPublished: policyDone = true
            case .extensionElement: mark9990()
            case .record: try finishRecord()
            default: break
            }
        case 1:
            switch at(0) {
            case .reportMetadata: metadataElement(tag)
            case .policyPublished: policyElement(tag)
            default: break
            }
        default:
            try nestedElement(tag, depth: depth)
        }
        text.clear()
    }

    /// The tag `k` levels below <feedback> on the open-element stack.
    @inline(__always)
    func at(_ k: Int) -> ReportTag { stack[feedbackDepth + 1 + k] }

    mutating func metadataElement(_ tag: ReportTag) {
        switch tag {
        case .orgName: header.metadata.orgName = text.value
        case .email: header.metadata.email = text.value
        case .extraContactInfo: header.metadata.extraContactInfo = text.value
        case .reportID: header.metadata.reportID = text.value
        case .error: if let v = text.value { header.metadata.errors.append(v) }
        case .generator:
            header.metadata.generator = text.value
            mark9990()
        default: break
        }
    }

    mutating func policyElement(_ tag: ReportTag) {
        switch tag {
        case .domain: header.policy.domain = text.lowercased
        case .p: header.policy.p = normalized(.policy)
        case .sp: header.policy.sp = normalized(.policy)
        case .np:
            header.policy.np = normalized(.policy)
        case .pct:
            if let v = text.value {
                if let n = Int(v), (0...100).contains(n) {
                    header.policy.pct = n
                } else {
                    warnings.add(
                        code: "invalid-value", "pct \"\(v.prefix(64))\" is not a number from 0 to 100; ignored")
                }
            }
        case .adkim: header.policy.adkim = normalized(.alignment)
        case .aspf: header.policy.aspf = normalized(.alignment)
        case .fo: header.policy.fo = text.value
        case .testing:
            header.policy.testing = normalized(.testing)
            mark9990()
        case .discoveryMethod:
            header.policy.discoveryMethod = normalized(.discoveryMethod)
            mark9990()
        case .psd: header.policy.psd = normalized(.psd)
        default: break
        }
    }

    mutating func nestedElement(_ tag: ReportTag, depth: Int) throws {
        switch (at(0), depth) {
        case (.reportMetadata, 2) where at(1) == .dateRange:
            switch tag {
            case .begin: header.metadata.begin = epoch(text.value, "begin")
            case .end: header.metadata.end = epoch(text.value, "end")
            default: break
            }
        case (.record, 2):
            switch (at(1), tag) {
            case (.row, .sourceIP): current.sourceIP = text.value ?? ""
            case (.row, .count): current.count = text.integer ?? -1
            case (.identifiers, .headerFrom), (.identities, .headerFrom):
                current.headerFrom = recent.lowercased(.headerFrom, text)
            case (.identifiers, .envelopeFrom), (.identities, .envelopeFrom):
                current.envelopeFrom = recent.lowercased(.envelopeFrom, text) ?? ""
            case (.identifiers, .envelopeTo), (.identities, .envelopeTo):
                current.envelopeTo = recent.lowercased(.envelopeTo, text)
            case (.authResults, .dkim): current.dkimResults.append(currentDKIM)
            case (.authResults, .spf):
                if currentSPF.humanResult != nil { mark9990() }
                current.spfResults.append(currentSPF)
            default: break
            }
        case (.record, 3):
            switch (at(1), at(2), tag) {
            case (.row, .policyEvaluated, .disposition):
                current.disposition = normalized(.disposition)
                if current.disposition == "pass" { mark9990() }
            case (.row, .policyEvaluated, .dkim): current.dkim = normalized(.evaluatedResult)
            case (.row, .policyEvaluated, .spf): current.spf = normalized(.evaluatedResult)
            case (.row, .policyEvaluated, .reason):
                if currentReason.type.isEmpty { currentReason.type = "other" }
                current.reasons.append(currentReason)
            case (.authResults, .dkim, .domain): currentDKIM.domain = recent.lowercased(.dkimDomain, text)
            case (.authResults, .dkim, .selector): currentDKIM.selector = recent.value(.selector, text)
            case (.authResults, .dkim, .result): currentDKIM.result = normalized(.dkimResult)
            case (.authResults, .dkim, .humanResult): currentDKIM.humanResult = text.value
            case (.authResults, .spf, .domain): currentSPF.domain = recent.lowercased(.spfDomain, text)
            case (.authResults, .spf, .scope): currentSPF.scope = normalized(.spfScope)
            case (.authResults, .spf, .result): currentSPF.result = normalized(.spfResult)
            case (.authResults, .spf, .humanResult): currentSPF.humanResult = text.value
            default: break
            }
        case (.record, 4)
        where at(1) == .row && at(2) == .policyEvaluated && at(3) == .reason:
            switch tag {
            case .type:
                currentReason.type = normalized(.overrideType) ?? "other"
                if currentReason.type == "policy_test_mode" { mark9990() }
                if currentReason.type == "forwarded" || currentReason.type == "sampled_out" { sawLegacyOverride = true }
            case .comment: currentReason.comment = text.value
            default: break
            }
        default:
            break
        }
    }

    mutating func epoch(_ text: String?, _ name: String) -> Int64? {
        if let n = self.text.integer { return n }
        guard let text else {
            warnings.add(code: "missing-value", "date_range \(name) is empty")
            return nil
        }
        let whole =
            text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? text
        if let n = Int64(whole) {
            if whole != text { warnings.add(code: "value-mapped", "date_range \(name) \"\(text)\" read as \(n)") }
            return n
        }
        warnings.add(code: "invalid-value", "date_range \(name) \"\(text.prefix(64))\" is not a Unix time")
        return nil
    }

    mutating func finishRecord() throws {
        // Moved out, not copied: the next <record> starts from a fresh value anyway.
        var r = AggregateRecord()
        swap(&r, &current)
        // Built only for a warning: an interpolated string per record is a measurable cost.
        var location: String { "record \(recordIndex)" }
        if r.count < 0 {
            warnings.add(code: "record-skipped", "\(location) has no valid <count>; skipped")
            return
        }
        if r.count > Self.maximumCount {
            warnings.add(code: "record-skipped", "\(location) has an implausible count \(r.count); skipped")
            return
        }
        if r.sourceIP.isEmpty {
            if r.count == 0 {
                warnings.add(code: "null-record", "an empty record (no source_ip, count 0) was skipped")
            } else {
                warnings.add(code: "record-skipped", "\(location) has no <source_ip>; skipped")
            }
            return
        }
        guard let ip = IPAddress(r.sourceIP) else {
            warnings.add(
                code: "record-skipped", "\(location) has an invalid source_ip \"\(r.sourceIP.prefix(64))\"; skipped")
            return
        }
        // inet_pton accepts only canonical dotted quads, so IPv4 text is kept as it is.
        if !ip.isIPv4 || r.sourceIP.utf8.contains(0x3A) || r.sourceIP.utf8.first == 0x5B { r.sourceIP = ip.description }
        r.sourceAddress = ip
        if r.headerFrom == nil {
            warnings.add(code: "missing-value", "a record has no header_from")
        }
        outcome.records += 1
        outcome.messages += r.count
        if outcome.records > limits.recordsPerReport {
            throw LimitExceeded(what: "the number of records (\(outcome.records))", limit: limits.recordsPerReport)
        }
        if begun {
            if accepting { try sink.record(r) }
        } else if metadataDone && policyDone {
            try beginSink()
            if accepting { try sink.record(r) }
        } else {
            pending.append(r)
            if pending.count > 100_000 {
                throw IngestError("more than 100,000 records come before <report_metadata> and <policy_published>")
            }
        }
    }

    mutating func validatedHeader() throws -> AggregateReportHeader {
        var h = header
        guard let domain = h.policy.domain, !domain.isEmpty else {
            throw IngestError("the report has no <policy_published><domain>")
        }
        _ = domain
        guard let begin = h.metadata.begin, let end = h.metadata.end else {
            throw IngestError("the report has no valid <date_range> (begin and end)")
        }
        guard begin >= 0, end >= begin, end <= Self.latestEpoch, end - begin <= Self.longestPeriod else {
            throw IngestError(
                "the report's <date_range> \(begin)–\(end) is not a plausible period (it must run forwards, after 1970, for at most a year)"
            )
        }
        if !headerChecked {
            headerChecked = true
            checkHeader(h)
            h.warnings = warnings.warnings
        }
        h.warnings = warnings.warnings
        return h
    }

    mutating func checkHeader(_ h: AggregateReportHeader) {
        if h.metadata.reportID == nil {
            warnings.add(code: "missing-value", "the report has no report_id")
        }
        if h.metadata.orgName == nil {
            warnings.add(code: "missing-value", "the report has no org_name; the contact address's domain stands in")
        }
        if h.policy.p == nil {
            warnings.add(code: "missing-value", "policy_published has no p")
        }
        if sawLegacyOverride && (h.flavour == .rfc9990 || h.flavour == .rfc9990NoNamespace) {
            warnings.add(code: "legacy-value", "override types forwarded/sampled_out are RFC 7489 only")
        }
    }

    mutating func beginSink() throws {
        let h = try validatedHeader()
        begun = true
        outcome.header = h
        accepting = try sink.begin(h)
        if !accepting { outcome.duplicate = true }
        for r in pending where accepting { try sink.record(r) }
        pending.removeAll()
    }

    mutating func finishDocument() throws {
        if !begun { try beginSink() }
        let h = try validatedHeader()
        outcome.header = h
        if accepting { try sink.finish(h) }
    }
}

/// The character data of the element being read, and what the parser makes of it. The buffer
/// keeps its size between elements: clearing is setting a count, appending is one copy.
struct ElementText {
    private var storage = [UInt8](repeating: 0, count: 256)
    private var count = 0

    var bytes: ArraySlice<UInt8> { storage[0..<count] }

    /// Appends text the reader copied out of libxml2.
    mutating func append(_ text: UnsafeRawBufferPointer) {
        let n = text.count
        guard n > 0 else { return }
        if count + n > storage.count {
            storage.append(contentsOf: repeatElement(0, count: max(storage.count, count + n - storage.count)))
        }
        storage.withUnsafeMutableBytes {
            $0.baseAddress!.advanced(by: count).copyMemory(from: text.baseAddress!, byteCount: n)
        }
        count += n
    }

    mutating func clear() { count = 0 }

    /// XML white space (space, tab, line feed, carriage return).
    @inline(__always)
    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// The text, trimmed of XML white space.
    var trimmed: ArraySlice<UInt8> {
        var lo = 0
        var hi = count
        while lo < hi, Self.isSpace(storage[lo]) { lo += 1 }
        while hi > lo, Self.isSpace(storage[hi - 1]) { hi -= 1 }
        return storage[lo..<hi]
    }

    /// The trimmed text, or `nil` when it is empty.
    var value: String? {
        let t = trimmed
        return t.isEmpty ? nil : String(decoding: t, as: UTF8.self)
    }

    /// Like `value`, lower-cased (domains and addresses are compared case-insensitively).
    var lowercased: String? {
        let t = trimmed
        if t.isEmpty { return nil }
        if !t.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) { return String(decoding: t, as: UTF8.self) }
        return String(decoding: t.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// A non-negative integer read straight from the bytes, or `nil`.
    var integer: Int64? {
        let t = trimmed
        guard !t.isEmpty, t.count <= 18 else { return t.isEmpty ? nil : Int64(String(decoding: t, as: UTF8.self)) }
        var n: Int64 = 0
        for b in t {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            n = n * 10 + Int64(b - 0x30)
        }
        return n
    }
}

/// The last string made for each often-repeated field, reused while the next record has the
/// same bytes there: a report's records mostly repeat their domains and selectors, and a string
/// over 15 bytes costs an allocation each time it is made.
struct RecentValues {
    enum Field: Int, CaseIterable {
        case headerFrom, envelopeFrom, envelopeTo, dkimDomain, selector, spfDomain
    }

    private var bytes = [[UInt8]](repeating: [], count: Field.allCases.count)
    private var strings = [String?](repeating: nil, count: Field.allCases.count)

    /// `text.lowercased`, from the cache when the bytes are the last ones seen for `field`.
    mutating func lowercased(_ field: Field, _ text: ElementText) -> String? {
        string(field, text) { $0.lowercased }
    }

    /// `text.value`, from the cache when the bytes are the last ones seen for `field`.
    mutating func value(_ field: Field, _ text: ElementText) -> String? {
        string(field, text) { $0.value }
    }

    private mutating func string(_ field: Field, _ text: ElementText, make: (ElementText) -> String?) -> String? {
        let i = field.rawValue
        let raw = text.bytes
        if let cached = strings[i], bytes[i].count == raw.count,
            raw.isEmpty
                || bytes[i].withUnsafeBytes({ b in
                    raw.withUnsafeBytes { memcmp(b.baseAddress!, $0.baseAddress!, raw.count) == 0 }
                })
        {
            return cached
        }
        let made = make(text)
        bytes[i].removeAll(keepingCapacity: true)
        bytes[i].append(contentsOf: raw)
        strings[i] = made
        return made
    }
}

/// Element names by the address libxml2 interns them at (one dictionary per reader), so each
/// element costs a pointer comparison instead of a string comparison. Open addressing, fixed size;
/// when full, lookups simply miss and the caller resolves the name again.
private struct NameCache {
    private var keys = [UnsafeRawPointer?](repeating: nil, count: 256)
    private var tags = [ReportTag](repeating: .other, count: 256)
    private var count = 0

    private static func slot(_ p: UnsafeRawPointer) -> Int { Int(truncatingIfNeeded: UInt(bitPattern: p) >> 3) & 255 }

    func lookup(_ p: UnsafeRawPointer) -> ReportTag? {
        var i = Self.slot(p)
        while let k = keys[i] {
            if k == p { return tags[i] }
            i = (i + 1) & 255
        }
        return nil
    }

    mutating func insert(_ p: UnsafeRawPointer, _ tag: ReportTag) {
        guard count < 192 else { return }
        var i = Self.slot(p)
        while keys[i] != nil { i = (i + 1) & 255 }
        keys[i] = p
        tags[i] = tag
        count += 1
    }
}
