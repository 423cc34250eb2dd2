#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An IPv4 or IPv6 address parsed from report text.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// The 16 bytes (IPv6, or IPv4 mapped into `::ffff:0:0/96`, so both sort and index together)
    /// as two big-endian halves: held inline, so an address costs no allocation.
    private let high: UInt64
    private let low: UInt64
    public let isIPv4: Bool

    /// The 16 bytes, IPv4 mapped into `::ffff:0:0/96`.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Calls `body` with the 16 bytes, without making an array of them.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { try body($0) }
    }

    private init(_ bytes: UnsafeRawBufferPointer, isIPv4: Bool) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<8 { high = high << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { low = low << 8 | UInt64(bytes[i]) }
        self.high = high
        self.low = low
        self.isIPv4 = isIPv4
    }

    private init(v4: UInt32) {
        high = 0
        low = 0xFFFF_0000_0000 | UInt64(v4)
        isIPv4 = true
    }

    /// Parses dotted-quad IPv4 or any RFC 4291 IPv6 text form. Surrounding white space and
    /// IPv6 brackets are ignored. Returns `nil` for anything else (including redacted `X.X.X.X`).
    public init?(_ text: String) {
        if let v4 = Self.canonicalDottedQuad(text.utf8) {
            self.init(v4: v4)
            return
        }
        if let parsed = IPAddress(exact: text) {
            self = parsed
            return
        }
        var t = text.trimmedASCII
        if t.hasPrefix("["), t.hasSuffix("]") { t = String(t.dropFirst().dropLast()) }
        guard t != text, let parsed = IPAddress(exact: t) else { return nil }
        self = parsed
    }

    /// The address of a dotted quad in the one form every parser agrees on — four decimal parts
    /// of at most 255, no leading zeros — read without a C call; anything else is left to
    /// `inet_pton`, so what is accepted does not change.
    static func canonicalDottedQuad(_ text: String.UTF8View) -> UInt32? {
        var value: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var dots = 0
        for b in text {
            if b == 0x2E {
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | part
                dots += 1
                part = 0
                digits = 0
            } else if b >= 0x30 && b <= 0x39 {
                if digits > 0 && part == 0 { return nil }
                part = part * 10 + UInt32(b - 0x30)
                digits += 1
                guard part <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, dots == 3 else { return nil }
        return value << 8 | part
    }

    private init?(exact t: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, t, &v4) == 1 {
            self.init(v4: UInt32(bigEndian: v4.s_addr))
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, t, &v6) == 1 else { return nil }
        let mapped = Swift.withUnsafeBytes(of: v6) { b in
            b[0..<10].allSatisfy { $0 == 0 } && b[10] == 0xFF && b[11] == 0xFF
        }
        self = Swift.withUnsafeBytes(of: v6) { IPAddress($0, isIPv4: mapped) }
    }

    /// Canonical text: dotted quad for IPv4, RFC 5952 (as `inet_ntop` writes it) for IPv6.
    public var description: String {
        if isIPv4 {
            let v = UInt32(truncatingIfNeeded: low)
            return "\(v >> 24).\((v >> 16) & 255).\((v >> 8) & 255).\(v & 255)"
        }
        var addr = in6_addr()
        withUnsafeBytes { bytes in Swift.withUnsafeMutableBytes(of: &addr) { $0.copyMemory(from: bytes) } }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: Int(INET6_ADDRSTRLEN)) { buffer in
            guard inet_ntop(AF_INET6, &addr, buffer.baseAddress, socklen_t(buffer.count)) != nil else { return "" }
            return String(cString: buffer.baseAddress!)
        }
    }
}
