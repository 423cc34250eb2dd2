import Testing

@testable import DMARCCore

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Normalisation table (SPEC §6.3)")
struct ValueNormalizerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var raw: String?
        var field: NormalizedField
        var value: String?
        var warning: String?
        var testDescription: String { "\(field.rawValue) \(raw.map { "\"\($0)\"" } ?? "nil")" }
    }

    static let cases: [Case] = [
        Case(raw: "none", field: .policy, value: "none", warning: nil),
        Case(raw: " Reject\t", field: .policy, value: "reject", warning: nil),
        Case(raw: "", field: .policy, value: nil, warning: nil),
        Case(raw: nil, field: .policy, value: nil, warning: nil),
        Case(raw: "pass", field: .disposition, value: "pass", warning: nil),
        Case(raw: "discard", field: .disposition, value: "discard", warning: "unknown-value"),
        Case(raw: "PASS", field: .evaluatedResult, value: "pass", warning: nil),
        Case(raw: "unknown", field: .dkimResult, value: "temperror", warning: "value-mapped"),
        Case(raw: "tempfail", field: .dkimResult, value: "temperror", warning: "value-mapped"),
        Case(raw: "error", field: .dkimResult, value: "permerror", warning: "value-mapped"),
        Case(raw: "permfail", field: .dkimResult, value: "permerror", warning: "value-mapped"),
        Case(raw: "softfail", field: .dkimResult, value: "fail", warning: "value-mapped"),
        Case(raw: "hardfail", field: .dkimResult, value: "fail", warning: "value-mapped"),
        Case(raw: "hardfail", field: .spfResult, value: "fail", warning: "value-mapped"),
        Case(raw: "SoftFail", field: .spfResult, value: "softfail", warning: nil),
        Case(raw: "TempError", field: .spfResult, value: "temperror", warning: nil),
        Case(raw: "unknown", field: .spfResult, value: "temperror", warning: "value-mapped"),
        Case(raw: "policy", field: .spfResult, value: "policy", warning: nil),
        Case(raw: "MFrom", field: .spfScope, value: "mfrom", warning: nil),
        Case(raw: "", field: .overrideType, value: "other", warning: nil),
        Case(raw: "forwarded", field: .overrideType, value: "forwarded", warning: nil),
        Case(raw: "policy_test_mode", field: .overrideType, value: "policy_test_mode", warning: nil),
        Case(raw: "", field: .alignment, value: "r", warning: nil),
        Case(raw: "relaxed", field: .alignment, value: "relaxed", warning: "unknown-value"),
        Case(raw: "y", field: .testing, value: "y", warning: nil),
        Case(raw: "treewalk", field: .discoveryMethod, value: "treewalk", warning: nil),
    ]

    @Test("Each value maps as the table says", arguments: cases)
    func normalise(_ c: Case) {
        let n = ValueNormalizer.normalize(c.raw, as: c.field)
        #expect(n.value == c.value)
        #expect(n.warning?.code == c.warning)
    }

    @Test("The byte fast path agrees with the full normaliser on every canonical value")
    func fastPathAgrees() {
        for field in NormalizedField.allCases {
            #expect(ValueNormalizer.canonicalBytes[field.index].count == ValueNormalizer.canonical[field]?.count ?? 0)
            for value in ValueNormalizer.canonical[field] ?? [] {
                #expect(ValueNormalizer.canonicalValue(ArraySlice(value.uppercased().utf8), as: field) == value)
                #expect(ValueNormalizer.normalize(value.uppercased(), as: field).value == value)
            }
        }
        #expect(ValueNormalizer.canonicalValue(ArraySlice("hardfail".utf8), as: .spfResult) == nil)
    }
}

@Suite("UTC days and the spreading of reports over days")
struct DayMathTests {
    @Test("Dates round-trip")
    func dates() {
        #expect(DayMath.isoDate(day: 0) == "1970-01-01")
        #expect(DayMath.isoDate(day: DayMath.day(of: 1_700_000_000)) == "2023-11-14")
        #expect(DayMath.isoDateTime(1_711_756_800) == "2024-03-30 00:00:00")
        #expect(DayMath.day(fromISO: "2024-02-29").map(DayMath.isoDate) == "2024-02-29")
        #expect(DayMath.day(fromISO: "2023-02-29") == nil)
        #expect(DayMath.day(fromISO: "2024-13-01") == nil)
        #expect(DayMath.day(fromISO: "garbage") == nil)
    }

    @Test("A one-day report counts on its midpoint day, whatever its end convention")
    func midpoint() {
        let google = DayMath.spread(count: 10, begin: 1_711_756_800, end: 1_711_843_199)
        let outlook = DayMath.spread(count: 10, begin: 1_711_756_800, end: 1_711_843_200)
        #expect(google.map(\.day) == outlook.map(\.day))
        #expect(google.first?.count == 10)
        #expect(DayMath.spread(count: 3, begin: 5, end: 5).first?.count == 3)
    }

    @Test("A longer report is spread over its days and the shares add up exactly")
    func spread() {
        let begin: Int64 = 1_700_006_400  // 2023-11-15 00:00 UTC
        let shares = DayMath.spread(count: 10, begin: begin, end: begin + 3 * 86_400)
        #expect(shares.count == 3)
        #expect(shares.map(\.count).reduce(0, +) == 10)
        #expect(shares.map(\.count) == [4, 3, 3])
        for count: Int64 in [1, 7, 1_000_003] {
            let s = DayMath.spread(count: count, begin: begin + 3_600, end: begin + 5 * 86_400 - 7)
            #expect(s.map(\.count).reduce(0, +) == count)
        }
    }
}

@Suite("Source addresses")
struct IPAddressTests {
    @Test("IPv4, IPv6 and mapped forms parse to canonical text")
    func canonical() {
        #expect(IPAddress("192.0.2.1")?.description == "192.0.2.1")
        #expect(IPAddress(" 192.0.2.1 ")?.description == "192.0.2.1")
        #expect(IPAddress("2001:DB8:0:0:0:0:0:1")?.description == "2001:db8::1")
        #expect(IPAddress("[2001:db8::1]")?.description == "2001:db8::1")
        #expect(IPAddress("::ffff:192.0.2.7")?.isIPv4 == true)
        #expect(IPAddress("::ffff:192.0.2.7")?.description == "192.0.2.7")
        #expect(IPAddress("192.0.2.1")?.bytes.count == 16)
    }

    @Test("Redacted and malformed addresses are refused")
    func invalid() {
        for text in ["X.X.X.X", "", "256.1.1.1", "192.0.2", "2001:db8::1::2", "example.com"] {
            #expect(IPAddress(text) == nil, "\(text)")
        }
    }

    @Test("The fast dotted-quad reader agrees with inet_pton on every form, and addresses keep their 16 bytes")
    func dottedQuads() {
        // Forms inet_pton takes, and forms it refuses (leading zeros, parts over 255, missing or
        // extra parts, signs, spaces inside): the fast path must take exactly the first kind.
        let accepted = ["0.0.0.0", "255.255.255.255", "192.0.2.1", "10.0.0.10", "1.22.133.4"]
        let refused = [
            "01.2.3.4", "1.2.3.04", "00.0.0.0", "256.0.0.0", "1.2.3.256", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3",
            "1.2.3.", "+1.2.3.4", "1.2.3.4a", "1. 2.3.4", "1.2.3.4444", "4294967296.1.1.1",
        ]
        for text in accepted {
            #expect(IPAddress.canonicalDottedQuad(text.utf8) != nil, "\(text)")
            #expect(IPAddress(text)?.description == text)
        }
        for text in refused {
            #expect(IPAddress.canonicalDottedQuad(text.utf8) == nil, "\(text)")
            var a = in_addr()
            #expect(inet_pton(AF_INET, text, &a) != 1, "\(text)")
        }
        #expect(IPAddress("192.0.2.1")?.bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 0, 2, 1])
        #expect(IPAddress("::ffff:192.0.2.1") == IPAddress("192.0.2.1"))
        #expect(IPAddress("2001:db8::1")?.bytes == [0x20, 0x01, 0x0D, 0xB8] + Array(repeating: 0, count: 11) + [1])
        #expect(IPAddress("2001:db8::1")?.isIPv4 == false)
        #expect(IPAddress("2001:db8::1") != IPAddress("2001:db8::2"))
    }

    @Test("The report key folds reporter spelling and falls back to the contact domain")
    func reportKey() {
        var m = ReportMetadata()
        m.orgName = " Google.com "
        #expect(m.reporterKey == "google.com")
        m.orgName = ""
        m.email = "noreply@Accurateplastics.COM"
        #expect(m.reporterKey == "accurateplastics.com")
        #expect(m.displayReporter == "accurateplastics.com")
    }
}
