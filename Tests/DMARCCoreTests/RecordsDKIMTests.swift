import Testing

@testable import DMARCCore

/// Public keys made once on the command line (OpenSSL 3), for the key-size checks:
///
///     openssl genrsa -out rsa512.pem 512      # and 1024, 2048
///     openssl rsa -in rsa512.pem -pubout -outform DER | base64 -w0
///     openssl rsa -in rsa1024.pem -RSAPublicKey_out -outform DER | base64 -w0   # bare PKCS#1
///     openssl genpkey -algorithm ed25519 -out ed.pem
///     openssl pkey -in ed.pem -pubout -outform DER | tail -c 32 | base64 -w0   # raw key (RFC 8463)
///     openssl pkey -in ed.pem -pubout -outform DER | base64 -w0                # SPKI wrapper
///
/// The private keys were thrown away.
enum DKIMKeyFixtures {
    static let rsa512 =
        "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMfO+QoBCKW1EMcUxrYqw6IM5wKjnpnJ5irIjWvYJoniiK6je2KsFihpkuHuI0R/Gs9NdU1XyVwUSpBOcargKecCAwEAAQ=="
    static let rsa1024 =
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC+OGdNre9IQWz2AGzNZDYt6RlAB2E283s0D5MOc8U0dCdUFBz5oQzJjlVN0+ZIzFwXv4g7X3T0Zv9EarytDIeDUFG88kHrWmCOVUBwRYN6Zw6yCctp8r1cBfV9VrFqrot+hg34n4o5FyrVyx+EcTkovwFSr/FZfZYlriQZoK5WWQIDAQAB"
    static let rsa2048 =
        "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzXdZtZsD0VacgjHDuu1pmFGyGbTC+h+mNMgQ0bPymSg5Oebp1w8HshomKhrRbtehw3D+rpJ3xkmDIxr4YoL+t4pKAR01DJTk0tlWFcCjSexudn9tkyvJRiRpeTwS28M2OrbfNZmCoBKA1WsTbPy/s7Yh016qPvgJsYdAp31jVQUS0CmUASx9lPNtUMaqZjQMRx9OS/PfXDPWectwJK4IrWZwGiJV7rlV7Pj+Z8STcuLo92FME4eTZhYkSif3voU0MHck900yK0WbudglGtEs2z468trRLAczpkWinqis6Vc+bIEMNnVZWxIJAn00g5B10dvQQ+4wvwWiUmxFkCmz6wIDAQAB"
    static let rsa1024Bare =
        "MIGJAoGBAL44Z02t70hBbPYAbM1kNi3pGUAHYTbzezQPkw5zxTR0J1QUHPmhDMmOVU3T5kjMXBe/iDtfdPRm/0RqvK0Mh4NQUbzyQetaYI5VQHBFg3pnDrIJy2nyvVwF9X1WsWqui36GDfifijkXKtXLH4RxOSi/AVKv8Vl9liWuJBmgrlZZAgMBAAE="
    static let ed25519 = "DzzRyNAEvlVYUY8pzAgjtQgiy+P5EXabmgWFYoxRevA="
    static let ed25519SPKI = "MCowBQYDK2VwAyEADzzRyNAEvlVYUY8pzAgjtQgiy+P5EXabmgWFYoxRevA="
}

@Suite("DKIM key records (RFC 6376 §3.6.1, RFC 8301, RFC 8463)")
struct RecordsDKIMTests {
    typealias K = DKIMKeyFixtures

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var text: String
        var codes: [String]
        var bits: Int?
        var isRecord = true
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "RSA 2048", text: "v=DKIM1; k=rsa; p=\(K.rsa2048)", codes: [], bits: 2048),
        Case(name: "RSA 2048 without v and k", text: "p=\(K.rsa2048)", codes: [], bits: 2048),
        Case(name: "RSA 1024", text: "v=DKIM1; k=rsa; p=\(K.rsa1024)", codes: ["dkim-key-weak"], bits: 1024),
        Case(name: "RSA 512", text: "v=DKIM1; p=\(K.rsa512)", codes: ["dkim-key-too-small"], bits: 512),
        Case(name: "bare RSAPublicKey", text: "v=DKIM1; p=\(K.rsa1024Bare)", codes: ["dkim-key-weak"], bits: 1024),
        Case(name: "Ed25519", text: "v=DKIM1; k=ed25519; p=\(K.ed25519)", codes: [], bits: 256),
        Case(
            name: "Ed25519 in an SPKI wrapper", text: "v=DKIM1; k=ed25519; p=\(K.ed25519SPKI)",
            codes: ["dkim-invalid-key"]),
        Case(name: "Ed25519 key labelled rsa", text: "v=DKIM1; k=rsa; p=\(K.ed25519)", codes: ["dkim-invalid-key"]),
        Case(name: "Ed25519 SPKI labelled rsa", text: "v=DKIM1; p=\(K.ed25519SPKI)", codes: ["dkim-invalid-key"]),
        Case(name: "revoked", text: "v=DKIM1; k=rsa; p=", codes: ["dkim-revoked"]),
        Case(name: "unknown key type", text: "v=DKIM1; k=dsa; p=\(K.rsa2048)", codes: ["dkim-unknown-key-type"]),
        Case(name: "SHA-1 only", text: "v=DKIM1; h=sha1; p=\(K.rsa2048)", codes: ["dkim-sha1-only"], bits: 2048),
        Case(name: "SHA-1 and SHA-256", text: "v=DKIM1; h=sha1:sha256; p=\(K.rsa2048)", codes: [], bits: 2048),
        Case(name: "unknown hash", text: "v=DKIM1; h=md5; p=\(K.rsa2048)", codes: ["dkim-no-usable-hash"], bits: 2048),
        Case(name: "testing", text: "v=DKIM1; t=y; p=\(K.rsa2048)", codes: ["dkim-testing"], bits: 2048),
        Case(name: "strict flag", text: "v=DKIM1; t=s; p=\(K.rsa2048)", codes: [], bits: 2048),
        Case(
            name: "TLS-RPT only", text: "v=DKIM1; s=tlsrpt; p=\(K.rsa2048)", codes: ["dkim-not-for-email"], bits: 2048),
        Case(name: "email and TLS-RPT", text: "v=DKIM1; s=email:tlsrpt; p=\(K.rsa2048)", codes: [], bits: 2048),
        Case(name: "old g tag", text: "v=DKIM1; g=*; p=\(K.rsa2048)", codes: ["dkim-unknown-tag"], bits: 2048),
        Case(name: "not base64", text: "v=DKIM1; p=abc!def", codes: ["dkim-invalid-key"]),
        Case(name: "cut short", text: "v=DKIM1; p=\(K.rsa2048.dropLast(24))", codes: ["dkim-invalid-key"]),
        Case(name: "random bytes", text: "v=DKIM1; p=QUJDREVGR0hJSktMTU5PUA==", codes: ["dkim-invalid-key"]),
        Case(
            name: "key split by white space",
            text: "v=DKIM1; k=rsa;\r\n\tp=\(K.rsa2048.prefix(200)) \(K.rsa2048.dropFirst(200))", codes: [],
            bits: 2048),
        Case(
            name: "v not first", text: "k=rsa; v=DKIM1; p=\(K.rsa2048)", codes: ["dkim-invalid-version"],
            isRecord: false),
        Case(name: "wrong version", text: "v=DKIM2; p=\(K.rsa2048)", codes: ["dkim-invalid-version"], isRecord: false),
        Case(
            name: "duplicate tag", text: "v=DKIM1; p=\(K.rsa2048); p=", codes: ["dkim-duplicate-tag"], isRecord: false),
        Case(name: "no p", text: "v=DKIM1; k=rsa", codes: ["dkim-missing-p"], isRecord: false),
        Case(
            name: "tag names are case-sensitive", text: "v=DKIM1; P=\(K.rsa2048)", codes: ["dkim-missing-p"],
            isRecord: false),
        Case(name: "syntax error", text: "v=DKIM1; garbage; p=\(K.rsa2048)", codes: ["dkim-syntax"], isRecord: false),
    ]

    @Test("Each key record gives the expected findings and key size", arguments: cases)
    func findings(_ c: Case) {
        let (record, findings) = DKIMKeyRecord.parse(c.text)
        #expect((record != nil) == c.isRecord)
        #expect(findings.codes.sorted() == c.codes.sorted())
        #expect(record?.keyBits == c.bits)
        for finding in findings {
            #expect(!finding.message.isEmpty && !finding.fix.isEmpty, "\(finding.code) lacks text")
        }
    }

    @Test("Severities follow RFC 8301 and the brief")
    func severities() {
        func severity(_ text: String) -> FindingSeverity? { DKIMKeyRecord.parse(text).findings.first?.severity }
        #expect(severity("p=\(K.rsa512)") == .error)
        #expect(severity("p=\(K.rsa1024)") == .warning)
        #expect(severity("p=") == .error)
        #expect(severity("t=y; p=\(K.rsa2048)") == .warning)
        #expect(severity("h=sha1; p=\(K.rsa2048)") == .error)
        #expect(severity("k=foo; p=\(K.rsa2048)") == .error)
    }

    @Test("Tags are read into fields")
    func fields() throws {
        let record = try #require(
            DKIMKeyRecord.parse("v=DKIM1; k=ED25519; h=sha256; s=email:*; t=y:s; n=rotated 2026; p=\(K.ed25519)").record
        )
        #expect(record.version == "DKIM1")
        #expect(record.keyType == "ed25519")
        #expect(record.hashAlgorithms == ["sha256"])
        #expect(record.serviceTypes == ["email", "*"])
        #expect(record.flags == ["y", "s"])
        #expect(record.notes == "rotated 2026")
        #expect(record.publicKey == K.ed25519)
        #expect(record.isTesting)
        #expect(!record.isRevoked)
        #expect(record.allowsEmail && record.allowsTLSRPT)
    }

    @Test("Defaults: rsa, all services")
    func defaults() throws {
        let record = try #require(DKIMKeyRecord.parse("p=\(K.rsa2048)").record)
        #expect(record.version == nil)
        #expect(record.keyType == "rsa")
        #expect(record.serviceTypes == nil)
        #expect(record.allowsEmail)
        #expect(!record.isTesting)
        let tlsOnly = try #require(DKIMKeyRecord.parse("s=tlsrpt; p=\(K.rsa2048)").record)
        #expect(!tlsOnly.allowsEmail)
        #expect(tlsOnly.allowsTLSRPT)
    }
}

@Suite("Base64 and DER readers")
struct RecordsBinaryTests {
    static let vectors: [(String, String)] = [
        ("", ""), ("Zg==", "f"), ("Zm8=", "fo"), ("Zm9v", "foo"), ("Zm9vYg==", "foob"), ("Zm9vYmE=", "fooba"),
        ("Zm9vYmFy", "foobar"), ("Zm9vYg", "foob"), ("Zm9v YmFy\r\n", "foobar"),
    ]

    @Test("RFC 4648 test vectors decode", arguments: vectors)
    func decodes(_ c: (String, String)) {
        #expect(Base64.decode(c.0) == Array(c.1.utf8))
    }

    @Test("Invalid base64 is refused", arguments: ["Z", "Zg=a", "Zg===", "Zm9v!", "Zg=", "=Zg", "Zm9vY===", "é"])
    func refuses(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test("Overlong base64 is refused")
    func bounded() {
        #expect(Base64.decode(String(repeating: "A", count: Base64.maximumLength + 4)) == nil)
        #expect(Base64.decode(String(repeating: "A", count: 1024))?.count == 768)
    }

    @Test("DER lengths are bounds-checked")
    func derBounds() {
        var short = DERReader([0x30, 0x05, 0x02, 0x01])
        #expect(short.read(0x30) == nil)
        var huge = DERReader([0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00])
        #expect(huge.read(0x30) == nil)
        var indefinite = DERReader([0x30, 0x80, 0x00, 0x00])
        #expect(indefinite.read(0x30) == nil)
        var tooManyLengthBytes = DERReader([0x30, 0x85, 0, 0, 0, 0, 1, 0])
        #expect(tooManyLengthBytes.read(0x30) == nil)
        var wrongTag = DERReader([0x02, 0x01, 0x05])
        #expect(wrongTag.read(0x30) == nil)
        #expect(wrongTag.read(0x02) == [0x05])
        #expect(wrongTag.isAtEnd)
        var long = DERReader([0x04, 0x81, 0x02, 0xAA, 0xBB])
        #expect(long.read(0x04) == [0xAA, 0xBB])
        var empty = DERReader([])
        #expect(empty.read(0x30) == nil)
    }

    @Test("The modulus length ignores the leading zero byte")
    func modulusBits() {
        // SEQUENCE { INTEGER 0x00 0x80 0x00 (16 bits), INTEGER 3 }
        #expect(DKIMKeyRecord.modulusBits(ofRSAPublicKey: [0x02, 0x03, 0x00, 0x80, 0x00, 0x02, 0x01, 0x03]) == 16)
        // INTEGER 0x01 0x00 (9 bits)
        #expect(DKIMKeyRecord.modulusBits(ofRSAPublicKey: [0x02, 0x02, 0x01, 0x00, 0x02, 0x01, 0x03]) == 9)
        #expect(DKIMKeyRecord.modulusBits(ofRSAPublicKey: [0x02, 0x01, 0x00, 0x02, 0x01, 0x03]) == nil)
        #expect(DKIMKeyRecord.modulusBits(ofRSAPublicKey: [0x02, 0x01, 0x05]) == nil)
    }
}
