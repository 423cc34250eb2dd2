import DMARCCore

#if canImport(Glibc)
    import Glibc
#endif

/// The repairs for the malformed reports real senders produce (SPEC §6.2), made on the bytes as
/// libxml2 reads them, in one pass and in memory that does not grow with the document:
///
/// - bytes that are not UTF-8, in a document that declares UTF-8 or no encoding, are read as the
///   windows-1252 characters they stand for (a document in an encoding where bytes below 0x20
///   make characters, ISO-2022-JP or UTF-16 without a byte-order mark, is passed on as it is);
/// - control characters XML forbids are removed, and white space before the XML declaration;
/// - a tag before `<feedback>` (the stray `<xs:schema>` some senders leave in) is removed, with
///   its end tag if one comes, unless it has a report element's name;
/// - `<` and an `&` that is not one of XML's references are escaped in the text of a value
///   element, in any namespace and with or without attributes (`<email><a@b></email>`, `AT&T`,
///   `&nbsp;`), unless the text holds a comment, CDATA, an instruction or a report element;
/// - U+FFFE and U+FFFF are removed;
/// - after `</feedback>`, anything but white space, comments and processing instructions is
///   dropped (the end tags of removed wrappers without a count).
///
/// Each repair made is counted, and `warnings` says what was changed once the document is read.
/// Read through a `TransformStream`.
struct XMLRepair: ByteTransform {
    /// Longest tag that is looked at; a longer one is passed on as it is.
    static let tagLimit = 64 << 10
    /// Longest value that is held to be checked; a longer one is passed on as it is.
    static let valueLimit = 1 << 20

    /// Enough for the XML declaration, which decides the encoding.
    let headBytes = 256
    private var started = false
    private var encoding = Encoding.utf8
    /// The start of a UTF-8 sequence cut by the end of the last piece.
    private var carry: [UInt8] = []
    private var cleaned: [UInt8] = []
    private var markup = MarkupRepair()
    private var invalidUTF8 = 0
    private var controlCharacters = 0
    private var leadingSpace = 0
    private var nonCharacters = 0

    /// What the repairs changed in the bytes read so far.
    var warnings: [ParseWarning] {
        var w: [ParseWarning] = []
        func add(_ message: String) { w.append(ParseWarning(code: "xml-repaired", message: message)) }
        if invalidUTF8 > 0 { add("\(invalidUTF8) byte(s) of invalid UTF-8 read as windows-1252") }
        if controlCharacters > 0 { add("\(controlCharacters) control character(s) removed") }
        if nonCharacters > 0 { add("\(nonCharacters) character(s) U+FFFE/U+FFFF removed") }
        if leadingSpace > 0 { add("\(leadingSpace) byte(s) of white space before the XML declaration removed") }
        var named: Set<[UInt8]> = []
        for name in markup.removedWrappers where named.insert(name).inserted {
            add("stray <\(String(decoding: name, as: UTF8.self))> tag removed")
        }
        if markup.escapedValues > 0 {
            add("unescaped markup characters escaped in \(markup.escapedValues) value(s)")
        }
        if markup.trailingBytes > 0 { add("\(markup.trailingBytes) byte(s) after </feedback> dropped") }
        return w
    }

    mutating func transform(_ input: ArraySlice<UInt8>, atEnd: Bool, into output: inout [UInt8]) {
        var bytes = carry + input
        carry.removeAll()
        if !started {
            started = true
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
            // The XML declaration must come first: white space before it (a line break some
            // senders put there) goes.
            let lead = bytes.prefix { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }.count
            if lead > 0, bytes[lead...].starts(with: Array("<?xml".utf8)) {
                bytes.removeFirst(lead)
                leadingSpace = lead
            }
            encoding = Self.declaredEncoding(bytes)
        }
        // In an encoding where bytes below 0x20 make characters (ISO-2022-JP's escapes, UTF-16
        // without a byte-order mark) the bytes are left as they are.
        if encoding == .other {
            cleaned = bytes
        } else {
            cleaned.removeAll(keepingCapacity: true)
            clean(bytes, atEnd: atEnd)
        }
        cleaned.withUnsafeBufferPointer { markup.feed($0, into: &output) }
        if atEnd { markup.finish(into: &output) }
    }

    /// Copies `bytes` into `cleaned` without control characters and, in UTF-8, with every byte
    /// that is not part of a valid UTF-8 sequence as its windows-1252 character.
    private mutating func clean(_ bytes: [UInt8], atEnd: Bool) {
        let singleByte = encoding == .singleByte
        bytes.withUnsafeBufferPointer { b in
            var i = 0
            while i < b.count {
                // A run of bytes passed on as they are, copied at once.
                var j = i
                while j < b.count, Self.isPlain(b[j]) || (singleByte && b[j] >= 0x80) { j += 1 }
                if j > i { cleaned.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<j])) }
                i = j
                guard i < b.count else { break }
                let byte = b[i]
                if byte < 0x80 {
                    controlCharacters += 1
                    i += 1
                    continue
                }
                switch Self.sequenceLength(b, at: i) {
                case .valid(3) where byte == 0xEF && b[i + 1] == 0xBF && b[i + 2] >= 0xBE:
                    // U+FFFE and U+FFFF, which XML does not allow either.
                    nonCharacters += 1
                    i += 3
                case .valid(let n):
                    cleaned.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<(i + n)]))
                    i += n
                case .cut where !atEnd:
                    carry = Array(b[i...])
                    return
                case .cut, .invalid:
                    cleaned.append(contentsOf: Self.windows1252(byte))
                    invalidUTF8 += 1
                    i += 1
                }
            }
        }
    }

    /// ASCII that XML allows: everything from space up, tab, line feed and carriage return.
    @inline(__always)
    static func isPlain(_ b: UInt8) -> Bool { (b >= 0x20 && b < 0x80) || b == 0x09 || b == 0x0A || b == 0x0D }

    enum Encoding { case utf8, singleByte, other }

    /// What the XML declaration at the start of `bytes` says: UTF-8 (or no encoding at all), a
    /// single-byte encoding that keeps ASCII as it is (windows-125x, ISO-8859-x), or another.
    static func declaredEncoding(_ bytes: [UInt8]) -> Encoding {
        let head = Array(String(decoding: bytes.prefix(256), as: UTF8.self).lowercased().utf8)
        let start = head.prefix { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }.count
        guard head[start...].starts(with: Array("<?xml".utf8)), let close = head.firstRange(of: Array("?>".utf8))
        else { return .utf8 }
        let decl = Array(head[..<close.lowerBound])
        guard let enc = decl.firstRange(of: Array("encoding".utf8)) else { return .utf8 }
        let name = String(
            decoding: decl[enc.upperBound...].drop(while: { $0 == 0x20 || $0 == 0x3D || $0 == 0x22 || $0 == 0x27 })
                .prefix { $0 != 0x22 && $0 != 0x27 && $0 != 0x20 }, as: UTF8.self)
        if name == "utf-8" || name == "utf8" { return .utf8 }
        let singleByte = ["windows-125", "cp125", "iso-8859-", "iso8859-", "latin", "us-ascii", "ascii"]
        return singleByte.contains { name.hasPrefix($0) } ? .singleByte : .other
    }

    enum Sequence: Equatable {
        case valid(Int)
        /// Valid so far, but the bytes end before the sequence does.
        case cut
        case invalid
    }

    /// The UTF-8 sequence that starts at `i` (whose lead byte is not ASCII).
    static func sequenceLength(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Sequence {
        let lead = b[i]
        let len: Int
        switch lead {
        case 0xC2...0xDF: len = 2
        case 0xE0...0xEF: len = 3
        case 0xF0...0xF4: len = 4
        default: return .invalid
        }
        for k in 1..<len {
            guard i + k < b.count else { return .cut }
            let c = b[i + k]
            guard c & 0xC0 == 0x80 else { return .invalid }
            if k == 1 {
                if lead == 0xE0 && c < 0xA0 { return .invalid }
                if lead == 0xED && c > 0x9F { return .invalid }
                if lead == 0xF0 && c < 0x90 { return .invalid }
                if lead == 0xF4 && c > 0x8F { return .invalid }
            }
        }
        return .valid(len)
    }

    static let cp1252High: [UInt32] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD,
        0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
        0x0153, 0xFFFD, 0x017E, 0x0178,
    ]

    /// The UTF-8 bytes of the windows-1252 character `b` (0x80 and up).
    static func windows1252(_ b: UInt8) -> String.UTF8View {
        let scalar = b < 0xA0 ? cp1252High[Int(b) - 0x80] : UInt32(b)
        return String(Character(Unicode.Scalar(scalar)!)).utf8
    }
}

/// The repairs made on tags: a state machine over the cleaned bytes that looks at each tag, holds
/// a value element's text until its end tag, and passes comments and CDATA on untouched.
struct MarkupRepair {
    private enum State {
        /// Between tags.
        case text
        /// Inside a tag, collected in `held` from its `<`.
        case tag
        /// Inside a value element's text, collected in `held`; `close` is its end tag without
        /// the `>` (which may follow after white space).
        case value
        /// Inside a comment, CDATA section or processing instruction, passed on (or, after the
        /// report, dropped when `skipDropping`) until `close` ("-->", "]]>" or "?>").
        case skip
    }

    private var state = State.text
    private var held: [UInt8] = []
    private var close: [UInt8] = []
    /// The last two bytes of a comment's or CDATA section's content passed on (0 for none yet).
    private var skipTail: (UInt8, UInt8) = (0, 0)
    private var skipDropping = false
    private var seenFeedback = false
    /// Elements open inside the report, its root included.
    private var depth = 0
    /// After `</feedback>`: white space, comments and processing instructions are kept, the end
    /// tags of removed wrappers dropped, anything else dropped and counted.
    private var feedbackEnded = false
    /// Names of the start tags removed before `<feedback>`, whose end tags are removed too.
    private(set) var removedWrappers: [[UInt8]] = []
    private var openWrappers: [[UInt8]] = []
    private(set) var escapedValues = 0
    private(set) var trailingBytes = 0

    /// Value elements' names, by length.
    private static let valueNames: [[[UInt8]]] = {
        var byLength: [[[UInt8]]] = Array(repeating: [], count: 32)
        for name in ReportTag.leafNames { byLength[name.utf8.count].append(Array(name.utf8)) }
        return byLength
    }()
    private static let commentOpen = Array("<!--".utf8)
    private static let cdataOpen = Array("<![CDATA[".utf8)
    private static let piOpen = Array("<?".utf8)
    private static let feedback = Array("feedback".utf8)

    mutating func feed(_ b: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var i = 0
        while i < b.count {
            switch state {
            case .text:
                guard let lt = Self.find(0x3C, in: b, from: i) else {
                    passText(UnsafeBufferPointer(rebasing: b[i...]), into: &out)
                    return
                }
                passText(UnsafeBufferPointer(rebasing: b[i..<lt]), into: &out)
                held.removeAll(keepingCapacity: true)
                state = .tag
                i = lt
            case .tag:
                let gt = Self.find(0x3E, in: b, from: i)
                let end = gt.map { $0 + 1 } ?? b.count
                held.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<end]))
                i = end
                // A comment, CDATA section or processing instruction may hold a '>': it is passed
                // on to its own end.
                if startsSkip(into: &out) { continue }
                // A tag too long to look at is passed on as it is, wherever the reads cut it.
                if held.count > XMLRepair.tagLimit {
                    passTag(into: &out)
                    state = .text
                    continue
                }
                if gt == nil { return }
                tagComplete(into: &out)
            case .value:
                guard let gt = Self.find(0x3E, in: b, from: i) else {
                    held.append(contentsOf: UnsafeBufferPointer(rebasing: b[i...]))
                    if held.count > XMLRepair.valueLimit { giveUpValue(into: &out) }
                    return
                }
                held.append(contentsOf: UnsafeBufferPointer(rebasing: b[i...gt]))
                i = gt + 1
                if let end = closeStart() {
                    valueComplete(length: end, into: &out)
                    out.append(contentsOf: held[end...])
                    depth -= 1
                    state = .text
                } else if held.count > XMLRepair.valueLimit {
                    giveUpValue(into: &out)
                }
            case .skip:
                guard let gt = Self.find(0x3E, in: b, from: i) else {
                    passSkipped(UnsafeBufferPointer(rebasing: b[i...]), into: &out)
                    noteSkipTail(b, from: i, upTo: b.count)
                    return
                }
                passSkipped(UnsafeBufferPointer(rebasing: b[i...gt]), into: &out)
                noteSkipTail(b, from: i, upTo: gt)
                i = gt + 1
                if skipEnds() { state = .text }
                skipTail = (skipTail.1, 0x3E)
            }
        }
    }

    /// Passes on what is held at the end of the document.
    mutating func finish(into out: inout [UInt8]) {
        switch state {
        case .tag: passTag(into: &out)
        case .value: out.append(contentsOf: held)
        case .text, .skip: break
        }
        held.removeAll()
    }

    /// Whether the bytes before the `>` just passed end the comment, CDATA or instruction.
    private func skipEnds() -> Bool {
        close.count == 3 ? skipTail == (close[0], close[1]) : skipTail.1 == close[0]
    }

    private mutating func passSkipped(_ t: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        if skipDropping { trailingBytes += t.count } else { out.append(contentsOf: t) }
    }

    /// Text between tags: as it is, or after `</feedback>` only its white space.
    private mutating func passText(_ t: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        guard feedbackEnded else { return out.append(contentsOf: t) }
        for c in t {
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { out.append(c) } else { trailingBytes += 1 }
        }
    }

    /// The tag held, passed on; after `</feedback>`, dropped and counted.
    private mutating func passTag(into out: inout [UInt8]) {
        if feedbackEnded { trailingBytes += held.count } else { out.append(contentsOf: held) }
    }

    /// Where the value element's end tag starts in `held`, when `held` ends with it: `close`,
    /// then white space, then the `>` just read.
    private func closeStart() -> Int? {
        var k = held.count - 2
        while k >= 0, held[k] == 0x20 || held[k] == 0x09 || held[k] == 0x0A || held[k] == 0x0D { k -= 1 }
        let start = k + 1 - close.count
        guard start >= 0, held[start...k].elementsEqual(close) else { return nil }
        return start
    }

    /// Keeps the last two content bytes of a comment or CDATA section passed on from `b[start..<end]`.
    private mutating func noteSkipTail(_ b: UnsafeBufferPointer<UInt8>, from start: Int, upTo end: Int) {
        if end - start >= 2 {
            skipTail = (b[end - 2], b[end - 1])
        } else if end - start == 1 {
            skipTail = (skipTail.1, b[start])
        }
    }

    /// When the tag held so far opens a comment, CDATA section or processing instruction: passes
    /// it on and skips to its end (which may be in what is held already). After the report, an
    /// XML declaration (a second document appended) is dropped instead.
    private mutating func startsSkip(into out: inout [UInt8]) -> Bool {
        let open: Int
        if held.starts(with: Self.commentOpen) {
            close = Array("-->".utf8)
            open = Self.commentOpen.count
        } else if held.starts(with: Self.cdataOpen) {
            close = Array("]]>".utf8)
            open = Self.cdataOpen.count
        } else if held.starts(with: Self.piOpen) {
            // "<?xml" needs its next byte to tell a declaration from an instruction named xml….
            if held.count < 6 && Array("<?xml".utf8).starts(with: held) { return false }
            close = Array("?>".utf8)
            open = Self.piOpen.count
        } else {
            return false
        }
        skipDropping = feedbackEnded && held.starts(with: Array("<?xml".utf8)) && !XMLRepair.isNameByte(held[5])
        if skipDropping { trailingBytes += held.count } else { out.append(contentsOf: held) }
        let closed = held.count >= open + close.count && held.suffix(close.count).elementsEqual(close)
        state = closed ? .text : .skip
        // The tail is of the content only: the opening's own dashes do not close it.
        let content = held.count - open
        skipTail = (content >= 2 ? held[held.count - 2] : 0, content >= 1 ? held[held.count - 1] : 0)
        held.removeAll(keepingCapacity: true)
        return true
    }

    /// A value that grew past the limit without its end tag is passed on as it is.
    private mutating func giveUpValue(into out: inout [UInt8]) {
        out.append(contentsOf: held)
        held.removeAll(keepingCapacity: true)
        state = .text
    }

    /// A whole tag, from `<` to `>`, is in `held`.
    private mutating func tagComplete(into out: inout [UInt8]) {
        state = .text
        let n = held.count
        let isEnd = n > 1 && held[1] == 0x2F
        let nameStart = isEnd ? 2 : 1
        guard nameStart < n - 1, XMLRepair.isNameStartByte(held[nameStart]) else {
            // A declaration or stray markup.
            return passTag(into: &out)
        }
        var nameEnd = nameStart
        while nameEnd < n, XMLRepair.isNameByte(held[nameEnd]) { nameEnd += 1 }
        let name = held[nameStart..<nameEnd]
        let localStart = (name.lastIndex(of: 0x3A) ?? nameStart - 1) + 1
        let local = held[localStart..<nameEnd]
        if isEnd {
            if !openWrappers.isEmpty, let w = openWrappers.lastIndex(where: { $0.elementsEqual(name) }) {
                openWrappers.remove(at: w)
                return
            }
            if feedbackEnded { return passTag(into: &out) }
            out.append(contentsOf: held)
            // The report's root is closed (by its own end tag, not a nested element's of the same
            // name): only white space, comments and instructions may follow. A stray end tag that
            // would close it early leaves it open.
            if seenFeedback {
                depth -= 1
                if depth <= 0 {
                    if local.elementsEqual(Self.feedback) { feedbackEnded = true } else { depth = 1 }
                }
            }
            return
        }
        if feedbackEnded { return passTag(into: &out) }
        let selfClosing = held[n - 2] == 0x2F
        if !seenFeedback {
            if local.elementsEqual(Self.feedback) {
                seenFeedback = true
                depth = selfClosing ? 0 : 1
                feedbackEnded = selfClosing
            } else if removedWrappers.count < 32 && !Self.isReportName(local) {
                // A stray tag before the report (`<xs:schema …>`, empty or not; its end tag goes
                // when it comes); a report element's name is never taken for one.
                removedWrappers.append(Array(name))
                if !selfClosing { openWrappers.append(Array(name)) }
                return
            }
            return out.append(contentsOf: held)
        }
        out.append(contentsOf: held)
        guard !selfClosing else { return }
        depth += 1
        // A value element, in any namespace, with or without attributes (RFC 9990's `lang`).
        let length = local.count
        if length < Self.valueNames.count, Self.valueNames[length].contains(where: { $0.elementsEqual(local) }) {
            close.removeAll(keepingCapacity: true)
            close.append(contentsOf: [0x3C, 0x2F])
            close.append(contentsOf: name)
            held.removeAll(keepingCapacity: true)
            state = .value
        }
    }

    static func isReportName(_ local: ArraySlice<UInt8>) -> Bool {
        ReportTag.byName[String(decoding: local, as: UTF8.self)] != nil
    }

    /// A value element's text is the first `length` bytes held: escaped when it holds markup
    /// characters and no report element (an element that lost its end tag is not a value).
    private mutating func valueComplete(length: Int, into out: inout [UInt8]) {
        let text = held[0..<length]
        guard text.contains(where: { $0 == 0x3C || $0 == 0x3E || $0 == 0x26 }) else {
            return out.append(contentsOf: text)
        }
        // '<' is what breaks a document; a lone '>' is legal and left alone. A value holding a
        // comment, CDATA or a processing instruction is markup, not a stray character.
        let needs = text.contains(0x3C) || Self.hasBareAmpersand(text)
        guard needs, !Self.containsReportTag(text), text.firstRange(of: [0x3C, 0x21]) == nil,
            text.firstRange(of: [0x3C, 0x3F]) == nil
        else { return out.append(contentsOf: text) }
        escapedValues += 1
        for k in text.indices {
            switch text[k] {
            case 0x3C: out.append(contentsOf: "&lt;".utf8)
            case 0x3E: out.append(contentsOf: "&gt;".utf8)
            case 0x26 where Self.entityLength(text, at: k) == 0: out.append(contentsOf: "&amp;".utf8)
            default: out.append(text[k])
            }
        }
    }

    static func find(_ byte: UInt8, in b: UnsafeBufferPointer<UInt8>, from i: Int) -> Int? {
        guard i < b.count, let p = memchr(b.baseAddress! + i, Int32(byte), b.count - i) else { return nil }
        return UnsafeRawPointer(p) - UnsafeRawPointer(b.baseAddress!)
    }

    /// Whether `s` holds a report element's tag (`<p>`, `</p>`, `<dmarc:p x="">`): a name followed
    /// by `>`, `/` or white space (`<p@example.com>` is an address, not a tag).
    static func containsReportTag(_ s: ArraySlice<UInt8>) -> Bool {
        for i in s.indices where s[i] == 0x3C {
            var j = i + 1
            if j < s.endIndex && s[j] == 0x2F { j += 1 }
            let name = s[j...].prefix { XMLRepair.isNameByte($0) }
            let after = name.endIndex < s.endIndex ? s[name.endIndex] : 0x3E
            guard after == 0x3E || after == 0x2F || after == 0x20 || after == 0x09 || after == 0x0A || after == 0x0D
            else { continue }
            let local = name.lastIndex(of: 0x3A).map { name[($0 + 1)...] } ?? name
            if isReportName(local) { return true }
        }
        return false
    }

    /// Length of a reference XML defines (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#39;`,
    /// `&#x27;`) starting at `i`, or 0: any other `&` (`&nbsp;`, `AT&T`) is escaped.
    static func entityLength(_ s: ArraySlice<UInt8>, at i: Int) -> Int {
        var j = i + 1
        while j < s.endIndex && (XMLRepair.isNameByte(s[j]) || s[j] == 0x23) { j += 1 }
        guard j > i + 1, j < s.endIndex, s[j] == 0x3B else { return 0 }
        let name = s[(i + 1)..<j]
        if name.first == 0x23 {
            let digits = name.dropFirst()
            let hex = digits.first == 0x78
            let body = hex ? digits.dropFirst() : digits
            let valid = !body.isEmpty && body.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (hex && ((c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)))
            }
            return valid ? j - i + 1 : 0
        }
        return Self.predefined.contains { $0.elementsEqual(name) } ? j - i + 1 : 0
    }

    private static let predefined = ["amp", "lt", "gt", "quot", "apos"].map { Array($0.utf8) }

    static func hasBareAmpersand(_ s: ArraySlice<UInt8>) -> Bool {
        s.indices.contains { s[$0] == 0x26 && entityLength(s, at: $0) == 0 }
    }
}

extension XMLRepair {
    static func isNameStartByte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        isNameStartByte(b) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2E || b == 0x3A
    }
}
