/// A report destination from a `rua` or `ruf` list (DMARC, RFC 7489 §6.2 and RFC 9989 §4.7) or a
/// TLS-RPT `rua` (RFC 8460 §3).
///
/// Only the parts a monitor needs are taken apart: the scheme, the mailbox of a `mailto:` URI and
/// the host that must authorise reports for other domains (SPEC §1.8).
public struct ReportURI: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The URI as written, without any `!size` suffix.
    public var uri: String
    /// The scheme, lower-cased: `mailto`, `https`, …
    public var scheme: String
    /// For `mailto:`, the addr-spec (percent-decoded, host part lower-cased); otherwise `nil`.
    public var address: String?
    /// The host reports go to, lower-cased: the domain of a `mailto:` address, or the host of an
    /// `https:` URI. `nil` for schemes without one.
    public var host: String?
    /// The obsolete RFC 7489 size limit after `!` (`10m`, `50k`, `1000`), as written.
    public var sizeLimit: String?

    /// Makes a URI from its parts; `parse` is the usual way in.
    public init(uri: String, scheme: String, address: String?, host: String?, sizeLimit: String?) {
        self.uri = uri
        self.scheme = scheme
        self.address = address
        self.host = host
        self.sizeLimit = sizeLimit
    }

    /// The URI as it goes back into a record: `uri`, then `!` and the size limit if there is one.
    public var description: String { sizeLimit.map { "\(uri)!\($0)" } ?? uri }

    /// Whether the scheme is `mailto`, the one every report sender must support.
    public var isMailto: Bool { scheme == "mailto" }

    /// Why a text is not a usable report URI.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        /// Nothing was given.
        case empty
        /// There is no `scheme:` at the start.
        case missingScheme
        /// A character that must be percent-encoded appears raw (space, `<`, `"`, a non-ASCII
        /// letter, or a `!` that is not a size suffix).
        case invalidCharacter(Character)
        /// A `%` is not followed by two hex digits.
        case invalidPercentEncoding
        /// The text after `!` is not digits with an optional k, m, g or t.
        case invalidSizeLimit(String)
        /// A `!size` suffix where the grammar has none (TLS-RPT).
        case sizeLimitNotAllowed
        /// A `mailto:` URI without a valid `local@domain` address.
        case invalidAddress
        /// An `https:` (or other `//`) URI without a valid host.
        case invalidHost

        /// Plain-language reason.
        public var description: String {
            switch self {
            case .empty: "the URI is empty"
            case .missingScheme: "it does not start with a scheme such as mailto: or https:"
            case .invalidCharacter(let c): "the character \"\(c)\" must be percent-encoded"
            case .invalidPercentEncoding: "a % is not followed by two hex digits"
            case .invalidSizeLimit(let s): "\"!\(s)\" is not a size limit (digits, then k, m, g or t)"
            case .sizeLimitNotAllowed: "a \"!\" must be percent-encoded as %21 here"
            case .invalidAddress: "the mailto: URI has no valid local@domain address"
            case .invalidHost: "the URI has no valid host name"
            }
        }
    }

    /// Parses one URI from a list (the caller splits at commas). With `allowingSizeLimit`, a
    /// trailing `!` + digits + optional unit is taken as the RFC 7489 size limit.
    public static func parse(_ text: String, allowingSizeLimit: Bool = true) -> Result<ReportURI, Problem> {
        var body = text.trimmedASCII
        guard !body.isEmpty else { return .failure(.empty) }
        var sizeLimit: String?
        if let bang = body.lastIndex(of: "!") {
            guard allowingSizeLimit else { return .failure(.sizeLimitNotAllowed) }
            let suffix = String(body[body.index(after: bang)...])
            guard isSizeLimit(suffix) else { return .failure(.invalidSizeLimit(suffix)) }
            sizeLimit = suffix
            body = String(body[..<bang])
        }
        if let bad = body.first(where: { !isURICharacter($0) }) { return .failure(.invalidCharacter(bad)) }
        guard hasValidPercentEncoding(body) else { return .failure(.invalidPercentEncoding) }
        guard let colon = body.firstIndex(of: ":"), isScheme(body[..<colon]), body.index(after: colon) < body.endIndex
        else { return .failure(.missingScheme) }
        let scheme = body[..<colon].lowercased()
        let rest = body[body.index(after: colon)...]

        if scheme == "mailto" {
            let to = rest.prefix { $0 != "?" }
            let decoded = percentDecoded(to)
            guard let at = decoded.lastIndex(of: "@") else { return .failure(.invalidAddress) }
            let local = decoded[..<at]
            let domain = decoded[decoded.index(after: at)...]
            guard !local.isEmpty, local.allSatisfy(isLocalPartCharacter), DomainName.isValidHostName(String(domain))
            else { return .failure(.invalidAddress) }
            let host = DomainName.normalized(String(domain))
            return .success(
                ReportURI(uri: body, scheme: scheme, address: "\(local)@\(host)", host: host, sizeLimit: sizeLimit))
        }

        var host: String?
        if rest.hasPrefix("//") {
            let authority = rest.dropFirst(2).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            let hostPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
            let name: Substring
            if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
                name = hostPort[...close]
                guard IPAddress(String(name)) != nil else { return .failure(.invalidHost) }
            } else {
                name = hostPort.prefix { $0 != ":" }
                guard DomainName.isValidHostName(String(name), minimumLabels: 1) || IPAddress(String(name)) != nil
                else { return .failure(.invalidHost) }
            }
            host = DomainName.normalized(String(name))
        } else if scheme == "https" || scheme == "http" {
            return .failure(.invalidHost)
        }
        return .success(ReportURI(uri: body, scheme: scheme, address: nil, host: host, sizeLimit: sizeLimit))
    }

    /// `1*DIGIT [ "k" / "m" / "g" / "t" ]`, the number fitting in 64 bits (RFC 7489 §6.4).
    static func isSizeLimit(_ s: String) -> Bool {
        var digits = Substring(s)
        if let last = digits.last, "kmgtKMGT".contains(last) { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        return UInt64(digits) != nil
    }

    static func isScheme(_ s: Substring) -> Bool {
        guard let first = s.first, first.isASCII, first.isLetter else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }
    }

    /// RFC 3986 unreserved and reserved characters plus `%`. `!`, `,` and `;` are excluded:
    /// record grammars use them as separators, so inside a URI they must be percent-encoded.
    static func isURICharacter(_ c: Character) -> Bool {
        guard c.isASCII, let v = c.asciiValue else { return false }
        switch v {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "-._~:/?#[]@$&'()*+=%".contains(c)
        }
    }

    static func isLocalPartCharacter(_ c: Character) -> Bool {
        guard c.isASCII else { return false }
        return c.isLetter || c.isNumber || "!#$%&'*+-/=?^_`{|}~.".contains(c)
    }

    static func hasValidPercentEncoding(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, hexValue(bytes[i + 1]) != nil, hexValue(bytes[i + 2]) != nil else {
                    return false
                }
                i += 3
            } else {
                i += 1
            }
        }
        return true
    }

    /// Percent-decodes `s`; invalid sequences are kept as written (callers check them first).
    static func percentDecoded(_ s: Substring) -> String {
        let bytes = Array(s.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let hi = hexValue(bytes[i + 1]),
                let lo = hexValue(bytes[i + 2])
            {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A DMARC `rua`/`ruf` destination; the same shape as every other report URI.
public typealias DMARCURI = ReportURI
