import DMARCCore
import Foundation
import Testing

@testable import DMARCWeb

@Suite("Localisation")
struct CatalogueTests {
    @Test("the Japanese catalogue has every English key, with the same placeholders")
    func sameKeys() {
        #expect(Set(Catalogue.english.keys) == Set(Catalogue.japanese.keys))
        for (key, english) in Catalogue.english {
            let ja = Catalogue.japanese[key] ?? ""
            for i in 0..<4 {
                #expect(english.contains("{\(i)}") == ja.contains("{\(i)}"), "\(key) {\(i)}")
            }
            #expect(!ja.isEmpty, "\(key)")
        }
    }

    static let webSources: String = {
        var url = URL(fileURLWithPath: "\(#filePath)")
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/Sources/DMARCWeb"
    }()

    /// Every key literal the web sources use: `t("key"` (and `c.t("key"`, `t.html("key"`,
    /// `.invalid("key"`), and any string literal shaped like a key of a catalogue section (which
    /// catches keys chosen by a ternary, such as `t(x ? "summary.titleWeek" : …)`).
    static func usedKeys() throws -> [String: String] {
        let sections = Set(Catalogue.english.keys.compactMap { $0.split(separator: ".").first.map(String.init) })
        let files = try #require(FileManager.default.enumerator(atPath: webSources)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") && !$0.hasPrefix("Localization/") }
        #expect(files.count > 20)
        // A key joined from a prefix ("health.status." + s) is left to the checks below.
        let call = try NSRegularExpression(pattern: #"\b(?:t|html|invalid)\(\s*"([^"\\]*[^".\\])""#)
        // Audit log actions ("domain.register") look like keys but are not shown.
        let literal = try NSRegularExpression(pattern: #"(?<!action: )"([a-z][a-zA-Z0-9]*(?:\.[a-zA-Z0-9\-]+)+)""#)
        var keys: [String: String] = [:]
        for file in files {
            let text = try String(contentsOfFile: "\(webSources)/\(file)", encoding: .utf8)
            let range = NSRange(text.startIndex..., in: text)
            for m in call.matches(in: text, range: range) {
                keys[String(text[Range(m.range(at: 1), in: text)!])] = file
            }
            for m in literal.matches(in: text, range: range) {
                let key = String(text[Range(m.range(at: 1), in: text)!])
                if let section = key.split(separator: ".").first, sections.contains(String(section)) {
                    keys[key] = file
                }
            }
        }
        return keys
    }

    @Test("every key the web sources use is in both catalogues")
    func keysExist() throws {
        let used = try Self.usedKeys()
        #expect(used.count > 150)
        for (key, file) in used.sorted(by: { $0.key < $1.key }) {
            #expect(Catalogue.english[key] != nil, "\(key) (\(file)) is not in the English catalogue")
            #expect(Catalogue.japanese[key] != nil, "\(key) (\(file)) is not in the Japanese catalogue")
        }
        // Keys made by joining: every case they are made for.
        let t = Localizer(.ja)
        for status in ["parsed", "duplicate", "failed", "ignored", "pending"] {
            #expect(Catalogue.japanese["health.status." + status] != nil, "\(status)")
        }
        for flavour in [ReportFlavour.rfc7489, .rfc9990, .rfc9990NoNamespace, .draft] {
            #expect(Catalogue.japanese["flavour." + flavour.rawValue] != nil, "\(flavour)")
        }
        for cls in SourceClass.allCases {
            #expect(Catalogue.japanese["class." + cls.rawValue] != nil, "\(cls)")
            #expect(Catalogue.japanese["class." + cls.rawValue + ".explain"] != nil, "\(cls)")
        }
        #expect(t.disposition("quarantine") == "隔離")
        #expect(Localizer(.en)("no.such.key") == "no.such.key")
    }

    @Test("numbers, percentages and dates follow the language")
    func formats() {
        let en = Localizer(.en)
        let ja = Localizer(.ja)
        #expect(en.number(1_234_567) == "1,234,567")
        #expect(en.number(-5) == "\u{2212}5")
        #expect(en.percent(1, of: 3) == "33.3%")
        #expect(en.percent(0, of: 0) == "–")
        #expect(en.date(day: 20_000) == "4 Oct 2024")
        #expect(ja.date(day: 20_000) == "2024年10月4日")
        #expect(ja.shortDate(day: 20_000) == "10/4")
        #expect(en.points(-1.25).hasPrefix("−1.3") || en.points(-1.25).hasPrefix("−1.2"))
        #expect(Localizer.Language.negotiate(["fr", "ja-jp", "en"]) == .ja)
        #expect(Localizer.Language.negotiate(["de"]) == .en)
    }

    @Test("escaping: interpolated strings are text, markup is only what the source writes")
    func escaping() {
        let hostile = "<b onclick=\"x\">&'"
        let html: HTML = "<p title=\"\(hostile)\">\(hostile)</p>"
        #expect(
            html.text
                == "<p title=\"&lt;b onclick=&quot;x&quot;&gt;&amp;&#39;\">&lt;b onclick=&quot;x&quot;&gt;&amp;&#39;</p>"
        )
        #expect(escapeHTML("a\u{1b}[31mb\u{7}") == "a[31mb")
        #expect(urlComponent("a b/c?d") == "a%20b%2Fc%3Fd")
    }
}

@Suite("Localisation: placeholders")
struct PlaceholderTests {
    @Test("an argument that looks like a placeholder is not substituted again")
    func singlePass() {
        let t = Localizer(.en)
        #expect(t("period.showing", "{1}", "x") == "{1} to x")
        #expect(t("report.title", "<b>", "2024") == "Report from <b>, 2024")
    }
}

@Suite("Localisation: classifier and readiness explanations")
struct ExplanationCatalogueTests {
    static let sources: String = {
        var url = URL(fileURLWithPath: "\(#filePath)")
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/Sources/DMARCCore/Sources"
    }()

    @Test("every explanation code in the classifier and readiness has Japanese with the right placeholders")
    func everyCode() throws {
        var codes: [String: Int] = [:]
        for file in ["SourceClassifier.swift", "Readiness.swift"] {
            let text = try String(contentsOfFile: "\(Self.sources)/\(file)", encoding: .utf8)
            // Explanation("code", [a, b], …) and the plan's ladder ("plan.x") entries.
            let pattern = try NSRegularExpression(pattern: #"Explanation\(\s*"([a-z0-9.\-]+)",\s*\[([^\]]*)\]"#)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let code = String(text[Range(m.range(at: 1), in: text)!])
                let args = String(text[Range(m.range(at: 2), in: text)!])
                codes[code] = args.trimmingCharacters(in: .whitespaces).isEmpty ? 0 : args.split(separator: ",").count
            }
            for m in try NSRegularExpression(pattern: #""(plan\.[a-z\-]+)""#).matches(
                in: text, range: NSRange(text.startIndex..., in: text))
            {
                let code = String(text[Range(m.range(at: 1), in: text)!])
                if codes[code] == nil { codes[code] = 0 }
            }
        }
        #expect(codes.count > 40)
        for (code, arguments) in codes {
            let ja = try #require(Catalogue.japaneseExplanations[code], "\(code)")
            for i in 0..<4 { #expect(ja.contains("{\(i)}") == (i < arguments), "\(code) {\(i)}") }
        }
        // And nothing in the table that the code does not use.
        #expect(Set(Catalogue.japaneseExplanations.keys).subtracting(codes.keys).isEmpty)
    }

    @Test("every code of the record generator and the DMARC lookup has Japanese with the right placeholders")
    func recordCodes() throws {
        var root = URL(fileURLWithPath: "\(#filePath)")
        for _ in 0..<3 { root.deleteLastPathComponent() }
        var codes: [String: Int] = [:]
        for file in [
            "Sources/DMARCCore/Records/DMARCRecordGenerator.swift", "Sources/DMARCNet/DMARCPolicyDiscovery.swift",
        ] {
            let text = try String(contentsOfFile: root.path + "/" + file, encoding: .utf8)
            // Explanation("code", [a, b], …); a code ending in \(x.rawValue) is one per policy.
            let pattern = try NSRegularExpression(
                pattern: #"Explanation\(\s*"([a-z0-9.\-]+)(\\\([a-z]+\.rawValue\))?",\s*\[([^\]]*)\]"#)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let code = String(text[Range(m.range(at: 1), in: text)!])
                let args = String(text[Range(m.range(at: 3), in: text)!])
                let count = args.trimmingCharacters(in: .whitespaces).isEmpty ? 0 : args.split(separator: ",").count
                if m.range(at: 2).location != NSNotFound {
                    for p in ["none", "quarantine", "reject"] { codes[code + p] = count }
                } else {
                    codes[code] = count
                }
            }
        }
        #expect(codes.count > 30)
        for (code, arguments) in codes {
            let ja = try #require(Catalogue.japaneseRecordExplanations[code], "\(code)")
            for i in 0..<4 { #expect(ja.contains("{\(i)}") == (i < arguments), "\(code) {\(i)}") }
        }
        #expect(Set(Catalogue.japaneseRecordExplanations.keys).subtracting(codes.keys).isEmpty)
        // And the generator's notes are those codes.
        let generated = try DMARCRecordGenerator.generate(
            DMARCRecordRequest(
                domain: "example.com", policy: "quarantine", subdomainPolicy: "reject", adkim: "s",
                rua: ["dmarc@elsewhere.example"], testing: true, legacyPct: 10))
        for note in generated.notes { #expect(codes[note.code] == note.arguments.count, "\(note.code)") }
        #expect(generated.explanations == generated.notes.map(\.description))
    }

    @Test("Japanese explanations fill their arguments; English passes through")
    func explain() {
        let e = Explanation("fwd.override", ["12"], "Receivers marked 12 messages as forwarded or from a mailing list.")
        #expect(Localizer(.ja).explain(e) == "受信側が 12 通を転送またはメーリングリスト経由と判定しました。")
        #expect(Localizer(.en).explain(e) == e.description)
        #expect(Localizer(.ja).explain(Explanation("no.such.code", [], "English")) == "English")
    }
}
