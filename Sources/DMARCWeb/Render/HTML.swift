/// A fragment of HTML. String literals in source are markup; every interpolated `String` is
/// escaped, so report content can only ever be text. Markup is interpolated as `HTML`.
public struct HTML: Sendable, ExpressibleByStringInterpolation {
    public private(set) var text: String

    public init(stringLiteral value: String) { text = value }

    public init(stringInterpolation: Interpolation) { text = stringInterpolation.out }

    init(trusted text: String) { self.text = text }

    public static let empty = HTML(trusted: "")

    public struct Interpolation: StringInterpolationProtocol {
        var out = ""

        public init(literalCapacity: Int, interpolationCount: Int) {
            out.reserveCapacity(literalCapacity + interpolationCount * 16)
        }

        public mutating func appendLiteral(_ literal: String) { out += literal }
        public mutating func appendInterpolation(_ text: String) { out += escapeHTML(text) }
        public mutating func appendInterpolation(_ text: String?) { out += escapeHTML(text ?? "") }
        public mutating func appendInterpolation(_ html: HTML) { out += html.text }
        public mutating func appendInterpolation(_ parts: [HTML]) { for p in parts { out += p.text } }
        public mutating func appendInterpolation(_ n: Int) { out += String(n) }
        public mutating func appendInterpolation(_ n: Int64) { out += String(n) }
    }

    public static func + (a: HTML, b: HTML) -> HTML { HTML(trusted: a.text + b.text) }
    public static func += (a: inout HTML, b: HTML) { a.text += b.text }
}

/// Escapes text for an HTML text node or a quoted attribute value. Control characters other than
/// tab and newline are dropped: they have no business in a page and can confuse terminals that
/// later show a copied value.
public func escapeHTML(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        case "\t", "\n": out.unicodeScalars.append(scalar)
        default:
            if scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) { continue }
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// Percent-encodes one path segment or query value (RFC 3986 unreserved characters stay).
public func urlComponent(_ s: String) -> String {
    var out = ""
    for b in s.utf8 {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"), UInt8(ascii: ":"):
            out.unicodeScalars.append(Unicode.Scalar(b))
        default:
            let digits = Array("0123456789ABCDEF")
            out += "%" + String(digits[Int(b >> 4)]) + String(digits[Int(b & 15)])
        }
    }
    return out
}

/// A query string from pairs, leaving out empty values.
func queryString(_ pairs: [(String, String?)]) -> String {
    let kept = pairs.compactMap { k, v in v.flatMap { $0.isEmpty ? nil : "\(k)=\(urlComponent($0))" } }
    return kept.isEmpty ? "" : "?" + kept.joined(separator: "&")
}
