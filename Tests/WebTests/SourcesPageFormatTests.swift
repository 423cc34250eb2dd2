import Testing

@testable import DMARCWeb

@Suite("Web: readiness numbers")
struct SourcesPageFormatTests {
    @Test("messages a day: grouped, one decimal, and a small rate is not shown as zero")
    func perDay() {
        let t = Localizer(.en)
        #expect(SourcesPage.perDay(1234.56, t) == "1,234.6")
        #expect(SourcesPage.perDay(0, t) == "0.0")
        #expect(SourcesPage.perDay(0.04, t) == "< 0.1")
        #expect(SourcesPage.perDay(0.05, t) == "0.1")
        #expect(SourcesPage.perDay(.infinity, t) == "–")
        #expect(SourcesPage.perDay(1e30, t) == "1,000,000,000,000,000.0")
        #expect(SourcesPage.perDay(2_000_000, Localizer(.ja)) == "2,000,000.0")
    }
}
