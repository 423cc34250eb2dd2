internal import CPSL

/// The public suffix list through libpsl: the system's list file (Debian's `publicsuffix`
/// package) when it is newer than the copy built into libpsl, else the built-in one. Both the
/// ICANN and the PRIVATE sections are used, as libpsl does by default; the UI says so.
/// See https://rockdaboot.github.io/libpsl/libpsl-Public-Suffix-List-functions.html
public final class PublicSuffixList: @unchecked Sendable {
    // @unchecked Sendable: the context is loaded once in init and only read afterwards; libpsl
    // documents lookups on a loaded context as thread-safe.
    private let context: OpaquePointer

    /// The process-wide list, loaded on first use.
    public static let shared = PublicSuffixList()

    private init() {
        if let latest = psl_latest(nil) {
            context = latest
        } else {
            context = psl_builtin()!
        }
    }

    /// The organisational domain of RFC 7489 §3.2: the public suffix plus one label. For a name
    /// that is itself a public suffix, or a single label, the name itself.
    public func organizationalDomain(_ domain: String) -> String {
        let name = DNSResolver.normalize(domain)
        // libpsl returns a pointer into its argument: read it while the C string is alive.
        return name.withCString { c in
            guard let registrable = psl_registrable_domain(context, c) else { return name }
            return String(cString: registrable)
        }
    }

    /// Whether `domain` is a public suffix (ICANN or PRIVATE section).
    public func isPublicSuffix(_ domain: String) -> Bool {
        psl_is_public_suffix(context, DNSResolver.normalize(domain)) != 0
    }
}
