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

    @Test("every key the pages use is in the catalogue")
    func keysExist() {
        let t = Localizer(.ja)
        for key in ["overview.title", "nav.signout", "health.status.failed", "summary.titleMonth"] {
            #expect(t(key) != key)
        }
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

    @Test("Japanese explanations fill their arguments; English passes through")
    func explain() {
        let e = Explanation("fwd.override", ["12"], "Receivers marked 12 messages as forwarded or from a mailing list.")
        #expect(Localizer(.ja).explain(e) == "受信側が 12 通を転送またはメーリングリスト経由と判定しました。")
        #expect(Localizer(.en).explain(e) == e.description)
        #expect(Localizer(.ja).explain(Explanation("no.such.code", [], "English")) == "English")
    }
}
