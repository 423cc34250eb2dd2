/// Checks the domain-spec of SPF mechanisms and modifiers, macros included (RFC 7208 §7.1, §12):
///
/// ```
/// domain-spec  = macro-string domain-end
/// domain-end   = ( "." toplabel [ "." ] ) / macro-expand
/// macro-string = *( macro-expand / macro-literal )
/// macro-expand = ( "%{" macro-letter transformers *delimiter "}" ) / "%%" / "%_" / "%-"
/// macro-letter = "s" / "l" / "o" / "d" / "i" / "p" / "h" / "c" / "r" / "t" / "v"
/// transformers = *DIGIT [ "r" ]
/// delimiter    = "." / "-" / "+" / "," / "/" / "_" / "="
/// ```
enum SPFDomainSpec {
    /// Why a domain-spec is not valid.
    enum Problem: Equatable {
        /// A `%` that does not start a valid macro; the text says why.
        case macro(String)
        /// The name after macro checks is not a domain.
        case domain
    }

    /// Returns the first problem with `spec`, or `nil` when it is valid.
    static func problem(in spec: String) -> Problem? {
        guard !spec.isEmpty else { return .domain }
        let bytes = Array(spec.utf8)
        var i = 0
        var hasMacro = false
        var endsWithMacro = false
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "%") {
                guard i + 1 < bytes.count else { return .macro("a % at the end must be written %%") }
                let next = bytes[i + 1]
                if next == UInt8(ascii: "%") || next == UInt8(ascii: "_") || next == UInt8(ascii: "-") {
                    i += 2
                } else if next == UInt8(ascii: "{") {
                    guard let end = macroEnd(bytes, from: i + 2) else {
                        return .macro(macroError(bytes, from: i + 2))
                    }
                    i = end
                } else {
                    return .macro("\"%\(Character(Unicode.Scalar(next)))\" is not a macro; a literal % is written %%")
                }
                hasMacro = true
                endsWithMacro = true
                continue
            }
            // macro-literal: visible ASCII except "%".
            guard b >= 0x21, b <= 0x7E else { return .domain }
            endsWithMacro = false
            i += 1
        }
        if endsWithMacro { return nil }
        if !hasMacro { return DomainName.isValidDNSName(spec) && hasValidDomainEnd(spec) ? nil : .domain }
        return hasValidDomainEnd(spec) ? nil : .domain
    }

    /// The letters allowed in a domain-spec; `c`, `r` and `t` are only for explanation text (§7.2).
    static let domainLetters = Set("slodiphv".utf8)

    /// The characters that may follow the transformers to split the value.
    static let delimiters = Set(".-+,/_=".utf8)

    /// After `%{`, returns the index just past the closing `}` when the macro is valid.
    static func macroEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        guard i < bytes.count, domainLetters.contains(bytes[i] | 0x20) else { return nil }
        i += 1
        var digits = 0
        var value = 0
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
            digits += 1
            value = value * 10 + Int(bytes[i] - UInt8(ascii: "0"))
            guard digits <= 3 else { return nil }
            i += 1
        }
        if digits > 0, value == 0 || value > 128 { return nil }
        if i < bytes.count, bytes[i] | 0x20 == UInt8(ascii: "r") { i += 1 }
        while i < bytes.count, delimiters.contains(bytes[i]) { i += 1 }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "}") else { return nil }
        return i + 1
    }

    /// A plain explanation of why the macro starting after `%{` is invalid.
    static func macroError(_ bytes: [UInt8], from start: Int) -> String {
        guard start < bytes.count else { return "\"%{\" is not closed" }
        let letter = bytes[start] | 0x20
        if Set("crt".utf8).contains(letter) {
            return "the macro letter \(Character(Unicode.Scalar(letter))) is only allowed in explanation (exp) text"
        }
        guard domainLetters.contains(letter) else {
            return "\"\(Character(Unicode.Scalar(bytes[start])))\" is not a macro letter (s, l, o, d, i, p, h or v)"
        }
        return
            "the macro after \"%{\(Character(Unicode.Scalar(bytes[start])))\" must be digits (1–128), an optional r, "
            + "optional delimiters (. - + , / _ =) and a closing }"
    }

    /// `"." toplabel [ "." ]` at the end: the last label has a letter or an inner hyphen, is made
    /// of letters, digits and hyphens, and does not start or end with a hyphen.
    static func hasValidDomainEnd(_ spec: String) -> Bool {
        var s = Substring(spec)
        if s.hasSuffix(".") { s = s.dropLast() }
        guard let dot = s.lastIndex(of: ".") else { return false }
        let top = s[s.index(after: dot)...]
        guard DomainName.isValidLabel(top, allowUnderscore: false) else { return false }
        return top.contains { $0.isLetter || $0 == "-" }
    }
}
