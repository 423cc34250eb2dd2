extension DKIMKeyRecord {
    /// RSA keys shorter than this must not be accepted by verifiers (RFC 8301 §3.2).
    public static let minimumRSABits = 1024
    /// RSA keys should be at least this long (RFC 8301 §3.2).
    public static let recommendedRSABits = 2048

    /// The tags RFC 6376 §3.6.1 defines.
    static let knownTags: Set<String> = ["v", "h", "k", "n", "p", "s", "t"]

    /// Parses a DKIM key record and checks its key.
    ///
    /// `record` is `nil` when verifiers would discard the record: `v` present but not first or not
    /// `DKIM1`, a tag-list syntax error, a duplicate tag, or no `p` tag. Tag names are
    /// case-sensitive (RFC 6376 §3.2), so `P=` is not `p=`.
    public static func parse(_ text: String) -> (record: DKIMKeyRecord?, findings: [RecordFinding]) {
        var findings: [RecordFinding] = []
        func add(_ severity: FindingSeverity, _ code: String, _ message: String, fix: String) {
            findings.append(RecordFinding(severity, code, message, fix: fix))
        }

        var values: [String: String] = [:]
        var unknown: [RecordTag] = []
        let tags = TagListSplitter.split(text)
        for (position, tag) in tags.enumerated() {
            guard tag.hasEquals, let first = tag.name.first, first.isASCII, first.isLetter,
                tag.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
            else {
                add(
                    .error, "dkim-syntax",
                    "\"\(tag.text)\" is not a tag=value pair, so verifiers discard the whole key record.",
                    fix: "Write every part as name=value, separated by semicolons.")
                return (nil, findings)
            }
            guard values[tag.name] == nil, !unknown.contains(where: { $0.name == tag.name }) else {
                add(
                    .error, "dkim-duplicate-tag",
                    "The tag \(tag.name) appears more than once, so verifiers discard the whole key record.",
                    fix: "Keep one \(tag.name)= and remove the others.")
                return (nil, findings)
            }
            if tag.name == "v", position != 0 || tag.value != "DKIM1" {
                add(
                    .error, "dkim-invalid-version",
                    position != 0
                        ? "v= is not the first tag, so verifiers discard the key record."
                        : "v=\(tag.value) is not v=DKIM1, so verifiers discard the key record.",
                    fix: "Start the record with v=DKIM1; or leave v out.")
                return (nil, findings)
            }
            if knownTags.contains(tag.name) {
                values[tag.name] = tag.value
            } else {
                unknown.append(RecordTag(name: tag.name, value: tag.value))
            }
        }
        guard let p = values["p"] else {
            add(
                .error, "dkim-missing-p", "The record has no p= tag (the public key), so it is not a usable DKIM key.",
                fix: "Publish the key record your mail provider gives you, including p=.")
            return (nil, findings)
        }

        func list(_ value: String?) -> [String]? {
            value.map { $0.split(separator: ":").map { $0.trimmedASCII.lowercased() }.filter { !$0.isEmpty } }
        }
        var record = DKIMKeyRecord(
            version: values["v"], keyType: values["k"]?.lowercased() ?? "rsa", hashAlgorithms: list(values["h"]),
            serviceTypes: list(values["s"]), flags: list(values["t"]) ?? [], notes: values["n"],
            publicKey: String(p.filter { !$0.isWhitespace }), unknownTags: unknown)

        for tag in unknown {
            add(
                .info, "dkim-unknown-tag", "The tag \(tag.name) is not defined by DKIM; verifiers ignore it.",
                fix: tag.name == "g"
                    ? "Remove g=; RFC 6376 dropped it."
                    : "Check its spelling (tags are case-sensitive: v, h, k, n, p, s, t) or remove it.")
        }
        if let hashes = record.hashAlgorithms {
            let usable = hashes.filter { $0 == "sha1" || $0 == "sha256" }
            if Set(usable) == ["sha1"] {
                add(
                    .error, "dkim-sha1-only",
                    "h=\(values["h"] ?? "") allows only SHA-1, and RFC 8301 says rsa-sha1 must not be used for "
                        + "signing or verifying, so signatures with this key fail.",
                    fix: "Set h=sha256, or remove h= to allow all algorithms, and sign with rsa-sha256.")
            } else if usable.isEmpty {
                add(
                    .error, "dkim-no-usable-hash",
                    "h=\(values["h"] ?? "") names no hash algorithm verifiers support (sha256), so signatures "
                        + "with this key fail.",
                    fix: "Set h=sha256, or remove h=.")
            }
        }
        if let services = record.serviceTypes, !record.allowsEmail {
            add(
                .warning, "dkim-not-for-email",
                "s=\(services.joined(separator: ":")) does not include email or *, so verifiers must not accept "
                    + "this key for email signatures.",
                fix: "Remove s=, or set s=email (or s=* to allow all services).")
        }
        if record.isTesting {
            add(
                .warning, "dkim-testing",
                "t=y marks the key as in testing: verifiers may treat failing signatures as if unsigned.",
                fix: "Remove y from t= once signing works.")
        }

        if record.isRevoked {
            add(
                .error, "dkim-revoked",
                "p= is empty: the key has been revoked, and every signature made with it fails.",
                fix: "If the selector is still used for signing, publish its current key; otherwise stop "
                    + "signing with it (and remove the record when nothing references it).")
            return (record, findings)
        }
        switch record.keyType {
        case "rsa":
            guard let bits = rsaKeyBits(record.publicKey) else {
                add(
                    .error, "dkim-invalid-key",
                    "p= is not a readable RSA public key (base64 of a DER SubjectPublicKeyInfo), so every "
                        + "signature with it fails.",
                    fix: "Copy the key again from your mail provider or signing software; it is often cut "
                        + "when pasted into DNS.")
                return (record, findings)
            }
            record.keyBits = bits
            if bits < minimumRSABits {
                add(
                    .error, "dkim-key-too-small",
                    "The RSA key is \(bits) bits; RFC 8301 says verifiers must not accept keys under "
                        + "\(minimumRSABits) bits, so signatures with it fail.",
                    fix: "Generate a \(recommendedRSABits)-bit key, publish it under a new selector and switch "
                        + "signing to it.")
            } else if bits < recommendedRSABits {
                add(
                    .warning, "dkim-key-weak",
                    "The RSA key is \(bits) bits; RFC 8301 recommends at least \(recommendedRSABits).",
                    fix: "Generate a \(recommendedRSABits)-bit key, publish it under a new selector and switch "
                        + "signing to it.")
            }
        case "ed25519":
            guard let key = Base64.decode(record.publicKey), key.count == 32 else {
                add(
                    .error, "dkim-invalid-key",
                    "p= is not a 32-byte Ed25519 public key in base64 (RFC 8463), so every signature with it fails.",
                    fix: "Publish the raw 32-byte key in base64, not a PEM or DER wrapper.")
                return (record, findings)
            }
            record.keyBits = 256
        default:
            add(
                .error, "dkim-unknown-key-type",
                "k=\(record.keyType) is not a DKIM key type verifiers know (rsa, ed25519), so signatures with "
                    + "this key fail.",
                fix: "Set k=rsa or k=ed25519, matching the key in p=.")
        }
        return (record, findings)
    }

    /// The modulus length of an RSA key in base64: a DER SubjectPublicKeyInfo (what
    /// `openssl rsa -pubout` writes and what RFC 6376 §3.6.1 specifies) or a bare PKCS#1
    /// RSAPublicKey, which some publishers use. `nil` when it is neither.
    static func rsaKeyBits(_ base64: String) -> Int? {
        guard let der = Base64.decode(base64) else { return nil }
        var outer = DERReader(der)
        guard let body = outer.read(DERReader.sequence), outer.isAtEnd else { return nil }
        var reader = DERReader(body)
        if reader.nextTag == DERReader.integer { return modulusBits(ofRSAPublicKey: body) }

        guard let algorithm = reader.read(DERReader.sequence), let bitString = reader.read(DERReader.bitString),
            reader.isAtEnd
        else { return nil }
        var algorithmReader = DERReader(algorithm)
        guard let oid = algorithmReader.read(DERReader.objectIdentifier), oid.elementsEqual(rsaEncryptionOID)
        else { return nil }
        // A BIT STRING starts with its count of unused bits, which is 0 for a key.
        guard bitString.first == 0 else { return nil }
        var keyReader = DERReader(bitString.dropFirst())
        guard let key = keyReader.read(DERReader.sequence), keyReader.isAtEnd else { return nil }
        return modulusBits(ofRSAPublicKey: key)
    }

    /// 1.2.840.113549.1.1.1, rsaEncryption, as DER contents.
    static let rsaEncryptionOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]

    /// The bit length of the modulus in `SEQUENCE { INTEGER modulus, INTEGER exponent }` contents.
    static func modulusBits(ofRSAPublicKey body: ArraySlice<UInt8>) -> Int? {
        var reader = DERReader(body)
        guard let modulus = reader.read(DERReader.integer), reader.read(DERReader.integer) != nil, reader.isAtEnd
        else { return nil }
        let significant = modulus.drop { $0 == 0 }
        guard let top = significant.first else { return nil }
        return (significant.count - 1) * 8 + (8 - top.leadingZeroBitCount)
    }
}
