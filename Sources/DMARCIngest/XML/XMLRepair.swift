import DMARCCore

/// In-memory repairs for the malformed reports real senders produce (SPEC §6.2). Each repair
/// that changes the bytes adds a warning; the caller parses the result again.
enum XMLRepair {
    static func repair(_ input: [UInt8]) -> (bytes: [UInt8], warnings: [ParseWarning]) {
        var bytes = input
        var warnings: [ParseWarning] = []
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }

        if declaresUTF8OrNothing(bytes), let fixed = fixInvalidUTF8(bytes) {
            bytes = fixed.bytes
            warnings.append(
                ParseWarning(
                    code: "xml-repaired", message: "\(fixed.count) byte(s) of invalid UTF-8 read as windows-1252"))
        }
        let stripped = bytes.filter { $0 >= 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        if stripped.count != bytes.count {
            warnings.append(
                ParseWarning(
                    code: "xml-repaired", message: "\(bytes.count - stripped.count) control character(s) removed"))
            bytes = stripped
        }
        if let fixed = removeUnclosedWrapper(bytes) {
            bytes = fixed.bytes
            warnings.append(ParseWarning(code: "xml-repaired", message: "stray unclosed <\(fixed.name)> tag removed"))
        }
        let escaped = escapeLeafText(bytes)
        if escaped.count > 0 {
            bytes = escaped.bytes
            warnings.append(
                ParseWarning(
                    code: "xml-repaired", message: "unescaped markup characters escaped in \(escaped.count) value(s)"))
        }
        return (bytes, warnings)
    }

    /// Whether the XML declaration names UTF-8 or no encoding at all.
    static func declaresUTF8OrNothing(_ bytes: [UInt8]) -> Bool {
        let head = Array(String(decoding: bytes.prefix(200), as: UTF8.self).lowercased().utf8)
        guard head.starts(with: Array("<?xml".utf8)), let close = head.firstRange(of: Array("?>".utf8)) else {
            return true
        }
        let decl = Array(head[..<close.lowerBound])
        guard let enc = decl.firstRange(of: Array("encoding".utf8)) else { return true }
        let rest = decl[enc.upperBound...].drop(while: { $0 == 0x20 || $0 == 0x3D || $0 == 0x22 || $0 == 0x27 })
        return rest.starts(with: Array("utf-8".utf8)) || rest.starts(with: Array("utf8".utf8))
    }

    /// Replaces bytes that are not valid UTF-8 by the windows-1252 character they stand for.
    static func fixInvalidUTF8(_ bytes: [UInt8]) -> (bytes: [UInt8], count: Int)? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var count = 0
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                out.append(b)
                i += 1
                continue
            }
            let len = sequenceLength(bytes, at: i)
            if len > 0 {
                out.append(contentsOf: bytes[i..<(i + len)])
                i += len
            } else {
                out.append(contentsOf: Array(String(windows1252(b)).utf8))
                count += 1
                i += 1
            }
        }
        return count == 0 ? nil : (out, count)
    }

    /// Length of a valid UTF-8 sequence at `i`, or 0.
    static func sequenceLength(_ b: [UInt8], at i: Int) -> Int {
        let lead = b[i]
        let len: Int
        switch lead {
        case 0xC2...0xDF: len = 2
        case 0xE0...0xEF: len = 3
        case 0xF0...0xF4: len = 4
        default: return 0
        }
        guard i + len <= b.count else { return 0 }
        for k in 1..<len where b[i + k] & 0xC0 != 0x80 { return 0 }
        if lead == 0xE0 && b[i + 1] < 0xA0 { return 0 }
        if lead == 0xED && b[i + 1] > 0x9F { return 0 }
        if lead == 0xF0 && b[i + 1] < 0x90 { return 0 }
        if lead == 0xF4 && b[i + 1] > 0x8F { return 0 }
        return len
    }

    static let cp1252High: [UInt32] = [
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD,
        0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
        0x0153, 0xFFFD, 0x017E, 0x0178,
    ]

    static func windows1252(_ b: UInt8) -> Character {
        let scalar = b < 0xA0 ? cp1252High[Int(b) - 0x80] : UInt32(b)
        return Character(Unicode.Scalar(scalar)!)
    }

    /// Removes a start tag before `<feedback>` whose element is never closed (the `<xs:schema>`
    /// that some senders leave in).
    static func removeUnclosedWrapper(_ bytes: [UInt8]) -> (bytes: [UInt8], name: String)? {
        guard let feedback = bytes.firstRange(of: Array("<feedback".utf8)) else { return nil }
        var i = 0
        while i < feedback.lowerBound {
            guard bytes[i] == 0x3C, i + 1 < feedback.lowerBound, isNameStart(bytes[i + 1]) else {
                i += 1
                continue
            }
            guard let close = bytes[i..<feedback.lowerBound].firstIndex(of: 0x3E) else { return nil }
            let nameEnd =
                bytes[(i + 1)..<close].firstIndex { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0x2F }
                ?? close
            let name = Array(bytes[(i + 1)..<nameEnd])
            let selfClosing = bytes[close - 1] == 0x2F
            if !selfClosing && bytes.firstRange(of: Array("</".utf8) + name + [0x3E]) == nil {
                var out = bytes
                out.removeSubrange(i...close)
                return (out, String(decoding: name, as: UTF8.self))
            }
            i = close + 1
        }
        return nil
    }

    static func isNameStart(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    static func isNameChar(_ b: UInt8) -> Bool { isNameStart(b) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2E }

    /// Escapes `<`, `>` and bare `&` inside the text of value elements (`<email><a@b></email>`).
    static func escapeLeafText(_ input: [UInt8]) -> (bytes: [UInt8], count: Int) {
        var bytes = input
        var count = 0
        for name in ReportTag.leafNames {
            let open = Array("<\(name)>".utf8)
            let close = Array("</\(name)>".utf8)
            guard bytes.firstRange(of: open) != nil else { continue }
            // One forward pass per element name, copying into a new buffer: never quadratic.
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 64)
            var search = 0
            while let o = bytes[search...].firstRange(of: open), let c = bytes[o.upperBound...].firstRange(of: close) {
                out.append(contentsOf: bytes[search..<o.upperBound])
                let content = Array(bytes[o.upperBound..<c.lowerBound])
                let needs = content.contains(0x3C) || content.contains(0x3E) || hasBareAmpersand(content)
                if needs && !containsReportTag(content) {
                    out.append(contentsOf: escape(content))
                    count += 1
                } else {
                    out.append(contentsOf: content)
                }
                out.append(contentsOf: close)
                search = c.upperBound
            }
            out.append(contentsOf: bytes[search...])
            bytes = out
        }
        return (bytes, count)
    }

    static func containsReportTag(_ s: [UInt8]) -> Bool {
        for (i, b) in s.enumerated() where b == 0x3C {
            var j = i + 1
            if j < s.count && s[j] == 0x2F { j += 1 }
            let name = s[j...].prefix { isNameStart($0) }
            if ReportTag.byName[String(decoding: name, as: UTF8.self)] != nil { return true }
        }
        return false
    }

    /// Length of an entity or character reference (`&amp;`, `&#39;`) starting at `i`, or 0.
    static func entityLength(_ s: [UInt8], at i: Int) -> Int {
        var j = i + 1
        while j < s.count && (isNameChar(s[j]) || s[j] == 0x23) { j += 1 }
        return (j > i + 1 && j < s.count && s[j] == 0x3B) ? j - i + 1 : 0
    }

    static func hasBareAmpersand(_ s: [UInt8]) -> Bool {
        s.indices.contains { s[$0] == 0x26 && entityLength(s, at: $0) == 0 }
    }

    static func escape(_ s: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for (i, b) in s.enumerated() {
            switch b {
            case 0x3C: out += Array("&lt;".utf8)
            case 0x3E: out += Array("&gt;".utf8)
            case 0x26: out += entityLength(s, at: i) > 0 ? [b] : Array("&amp;".utf8)
            default: out.append(b)
            }
        }
        return out
    }
}
