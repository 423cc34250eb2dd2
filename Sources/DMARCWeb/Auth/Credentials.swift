internal import CCrypt
internal import CCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Password hashing with yescrypt through libxcrypt (`$y$…` strings, salt from the kernel).
/// See crypt(5) and crypt_gensalt(3).
public enum PasswordHasher {
    /// Shortest password accepted: long enough that throttled guessing gets nowhere.
    public static let minimumLength = 10
    public static let maximumLength = 1024

    public struct Rejected: Error, CustomStringConvertible {
        public let description: String
    }

    /// Checks a new password against the length rules.
    public static func validate(_ password: String) throws {
        let n = password.utf8.count
        guard n >= minimumLength else {
            throw Rejected(description: "the password must be at least \(minimumLength) characters")
        }
        guard n <= maximumLength else {
            throw Rejected(description: "the password must be at most \(maximumLength) bytes")
        }
    }

    /// A yescrypt hash of `password` with a fresh random salt.
    public static func hash(_ password: String) throws -> String {
        try validate(password)
        var setting = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        // NULL random bytes: libxcrypt reads the salt from getrandom(2).
        guard crypt_gensalt_rn("$y$", 0, nil, 0, &setting, Int32(setting.count)) != nil else {
            throw Rejected(description: "libxcrypt cannot make a yescrypt salt")
        }
        guard let hashed = run(password, setting: setting), hashed.hasPrefix("$y$") else {
            throw Rejected(description: "libxcrypt cannot hash with yescrypt")
        }
        return hashed
    }

    /// Whether `password` matches `stored`, compared in constant time.
    public static func verify(_ password: String, against stored: String) -> Bool {
        guard password.utf8.count <= maximumLength, stored.hasPrefix("$") else { return false }
        guard let hashed = run(password, setting: Array(stored.utf8CString)) else { return false }
        return constantTimeEqual(Array(hashed.utf8), Array(stored.utf8))
    }

    private static func run(_ password: String, setting: [CChar]) -> String? {
        // struct crypt_data is about 32 KiB: on the heap, zeroed as crypt_r requires on first use.
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            memset(data, 0, MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let out = crypt_r(password, setting, data) else { return nil }
        let text = String(cString: out)
        // Failure is reported as a string starting with '*'.
        return text.hasPrefix("*") ? nil : text
    }
}

/// Random tokens and their digests: sessions, CSRF and API tokens.
public enum SecretToken {
    /// 256 random bits from the system generator (getrandom), as 64 hex characters.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for _ in 0..<4 {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> shift)) }
        }
        return hex(bytes)
    }

    /// The SHA-256 of a token, in hex: what the store keeps instead of the token.
    public static func digest(_ token: String) -> String {
        let input = Array(token.utf8)
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = input.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &out, &length, EVP_sha256(), nil) }
        return hex(Array(out.prefix(Int(length))))
    }

    /// Whether a string looks like a token this server gave out (checked before any lookup).
    public static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 64 && token.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Compares two byte strings in time that depends only on their lengths.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in 0..<a.count { difference |= a[i] ^ b[i] }
    return difference == 0
}
