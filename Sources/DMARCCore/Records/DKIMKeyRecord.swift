/// A DKIM public key record (TXT at `<selector>._domainkey.<domain>`), RFC 6376 §3.6.1, with the
/// key-size rules of RFC 8301 and Ed25519 keys from RFC 8463 (SPEC §5.2).
public struct DKIMKeyRecord: Sendable, Equatable {
    /// `v`, when present (always `DKIM1`; it is optional).
    public var version: String?
    /// `k`: the key type as written, lower-cased; `rsa` when absent.
    public var keyType: String
    /// `h`: the hash algorithms the key may be used with, lower-cased; `nil` means all.
    public var hashAlgorithms: [String]?
    /// `s`: the service types, lower-cased; `nil` means `*` (all).
    public var serviceTypes: [String]?
    /// `t`: flags such as `y` (testing) and `s` (no subdomains in `i=`).
    public var flags: [String]
    /// `n`: notes for people.
    public var notes: String?
    /// `p`: the base64 public key with white space removed; empty when the key is revoked.
    public var publicKey: String
    /// The key size in bits: the RSA modulus length, or 256 for Ed25519. `nil` when the key is
    /// revoked, of an unknown type, or could not be read.
    public var keyBits: Int?
    /// Tags RFC 6376 does not define (including the old `g=`), kept as written.
    public var unknownTags: [RecordTag]

    /// Makes a record; `parse` is the usual way in.
    public init(
        version: String? = "DKIM1", keyType: String = "rsa", hashAlgorithms: [String]? = nil,
        serviceTypes: [String]? = nil, flags: [String] = [], notes: String? = nil, publicKey: String,
        keyBits: Int? = nil, unknownTags: [RecordTag] = []
    ) {
        self.version = version
        self.keyType = keyType
        self.hashAlgorithms = hashAlgorithms
        self.serviceTypes = serviceTypes
        self.flags = flags
        self.notes = notes
        self.publicKey = publicKey
        self.keyBits = keyBits
        self.unknownTags = unknownTags
    }

    /// Whether the key has been revoked (`p=` is empty): signatures with it always fail.
    public var isRevoked: Bool { publicKey.isEmpty }

    /// Whether `t=y` marks the key as being tested: verifiers may treat failures as if unsigned.
    public var isTesting: Bool { flags.contains("y") }

    /// Whether the key may sign email (`s` absent, `*` or `email`).
    public var allowsEmail: Bool { serviceTypes.map { $0.contains("*") || $0.contains("email") } ?? true }

    /// Whether the key is marked for TLS-RPT report signing (`s=tlsrpt`, RFC 8460 §3) or all services.
    public var allowsTLSRPT: Bool { serviceTypes.map { $0.contains("*") || $0.contains("tlsrpt") } ?? true }
}
