#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address parsed from report text.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 16 bytes: IPv6, or IPv4 mapped into `::ffff:0:0/96`, so both sort and index together.
    public let bytes: [UInt8]
    public let isIPv4: Bool

    /// Parses dotted-quad IPv4 or any RFC 4291 IPv6 text form. Surrounding white space and
    /// IPv6 brackets are ignored. Returns `nil` for anything else (including redacted `X.X.X.X`).
    public init?(_ text: String) {
        if let parsed = IPAddress(exact: text) {
            self = parsed
            return
        }
        var t = text.trimmedASCII
        if t.hasPrefix("["), t.hasSuffix("]") { t = String(t.dropFirst().dropLast()) }
        guard t != text, let parsed = IPAddress(exact: t) else { return nil }
        self = parsed
    }

    private init?(exact t: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, t, &v4) == 1 {
            let b = withUnsafeBytes(of: v4) { Array($0) }
            bytes = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + b
            isIPv4 = true
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, t, &v6) == 1 else { return nil }
        let b = withUnsafeBytes(of: v6) { Array($0) }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF {
            bytes = b
            isIPv4 = true
        } else {
            bytes = b
            isIPv4 = false
        }
    }

    /// Canonical text: dotted quad for IPv4, RFC 5952 (as `inet_ntop` writes it) for IPv6.
    public var description: String {
        if isIPv4 {
            var out = ""
            out.reserveCapacity(15)
            for i in 12..<16 {
                if i > 12 { out.append(".") }
                out += String(bytes[i])
            }
            return out
        }
        var addr = in6_addr()
        withUnsafeMutableBytes(of: &addr) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count)) != nil else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
