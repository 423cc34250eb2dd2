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
        #expect(en.number(-5) == "-5")
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
