import DMARCWeb
import Foundation
import TestServers
import Testing

/// The UI in a real headless Chromium: sign in, overview, a domain, a source, Japanese; with
/// screenshots under .build/screenshots/ for a person to look at.
@Suite("Web UI in headless Chromium", .serialized)
struct BrowserTests {
    static let screenshots: String = {
        var url = URL(fileURLWithPath: "\(#filePath)")
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/.build/screenshots"
    }()

    @Test("sign in, read the overview, open a domain, open a source, switch to Japanese")
    func walkThrough() throws {
        let f = try WebFixture()
        let server = HTTPServer(app: f.app)
        try server.start(host: "127.0.0.1", port: 0)
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)"
        let browser = try HeadlessBrowser(language: "en-US")
        defer { browser.close() }

        try browser.navigate(to: base + "/")
        #expect(try browser.evaluateString("location.pathname") == "/signin")
        try browser.screenshot(to: Self.screenshots + "/01-signin.png")
        try browser.evaluateAndWaitForLoad(
            """
            document.querySelector('input[name=name]').value = 'alice';
            document.querySelector('input[name=password]').value = '\(WebFixture.password)';
            document.querySelector('form').submit();
            """)
        let landed = try browser.evaluateString("location.pathname + ' ' + document.body.innerText")
        #expect(landed?.hasPrefix("/ ") == true, "\(landed ?? "")")
        #expect(try browser.evaluateString("document.querySelector('h1').textContent") == "Overview")
        let firstCard = try browser.evaluateString("document.querySelector('.card .value').textContent")
        #expect(firstCard == "1,798")
        // The session cookie is HttpOnly: scripts cannot read it.
        #expect(try browser.evaluateString("document.cookie")?.contains("dmw_session") == false)
        try browser.screenshot(to: Self.screenshots + "/02-overview.png")

        try browser.evaluateAndWaitForLoad("document.querySelector('a[href^=\"/domains/example.com\"]').click()")
        #expect(try browser.evaluateString("document.querySelector('h1').textContent") == "example.com")
        // The three sources of example.com are listed (evaluate gives "null" for a failed query).
        #expect(try browser.evaluate("document.querySelectorAll('main tbody tr').length") == "3")
        try browser.screenshot(to: Self.screenshots + "/03-domain.png")

        try browser.evaluateAndWaitForLoad("document.querySelector('a[href^=\"/sources/167.89.10.20\"]').click()")
        #expect(
            try browser.evaluateString("document.querySelector('h1').textContent")?.contains("167.89.10.20") == true)
        #expect(try browser.evaluateString("document.body.innerText")?.contains("sendgrid.net") == true)
        try browser.screenshot(to: Self.screenshots + "/04-source.png")

        try browser.evaluateAndWaitForLoad(
            """
            document.querySelector('select[name=language]').value = 'ja';
            document.querySelector('form[action="/settings/language"]').submit();
            """)
        #expect(try browser.evaluateString("document.documentElement.lang") == "ja")
        #expect(try browser.evaluateString("location.pathname")?.hasPrefix("/sources/") == true)
        try browser.navigate(to: base + "/")
        #expect(try browser.evaluateString("document.querySelector('h1').textContent") == "概要")
        try browser.screenshot(to: Self.screenshots + "/05-overview-ja.png")

        // The other pages, for a person to look at.
        try browser.navigate(to: base + "/reports")
        try browser.screenshot(to: Self.screenshots + "/08-reports-ja.png")
        try browser.evaluateAndWaitForLoad("document.querySelector('a[href^=\"/reports/\"]').click()")
        try browser.screenshot(to: Self.screenshots + "/09-report-ja.png")
        for (name, path, heading) in [
            ("10-domains", "/domains", "ドメイン"), ("11-summary", "/domains/example.com/summary", "週次サマリー：example.com"),
            ("12-health", "/health", "取り込み状況"), ("13-upload", "/upload", "レポートのアップロード"),
            ("14-sources", "/domains/example.com/sources", "example.com として送信している送信元"),
            ("15-readiness", "/domains/example.com/readiness", "移行判定：example.com"),
            ("16-error-ja", "/reports/999999", "エラー 404"),
        ] {
            try browser.navigate(to: base + path)
            // The page's own heading: an error page would have one h1 too.
            #expect(try browser.evaluateString("document.querySelector('h1').textContent") == heading, "\(path)")
            try browser.screenshot(to: Self.screenshots + "/\(name).png")
        }

        // On a phone: the page fits the width (tables scroll inside their box), the chart is the
        // narrow drawing with labels of a readable size, and no domain name breaks mid-word.
        try browser.setViewport(width: 390, height: 844, mobile: true)
        try browser.navigate(to: base + "/domains/example.com")
        let overflow = try browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        #expect(overflow == "true")
        #expect(
            try browser.evaluateString("getComputedStyle(document.querySelector('svg.chart-wide')).display") == "none")
        let labelHeight = try browser.evaluate(
            "document.querySelector('svg.chart-narrow text.axis').getBoundingClientRect().height")
        #expect((Double(labelHeight) ?? 0) >= 10, "axis labels \(labelHeight) px high")
        try browser.screenshot(to: Self.screenshots + "/06-domain-phone.png")
        try browser.navigate(to: base + "/")
        // The change column shows on a phone too.
        #expect(try browser.evaluateString("document.querySelectorAll('main thead th')[6].textContent") == "DMARC 増減")
        #expect(
            try browser.evaluateString("getComputedStyle(document.querySelectorAll('main thead th')[6]).display")
                == "table-cell")
        try browser.screenshot(to: Self.screenshots + "/17-overview-phone.png")
        try browser.navigate(to: base + "/sources/167.89.10.20")
        // A domain in a narrow cell keeps its name whole: its cell is at least as wide as the name.
        let whole = try browser.evaluate(
            """
            (() => { const td = [...document.querySelectorAll('main td.wrap')].find(c => c.textContent === 'example.com');
              const r = document.createRange(); r.selectNodeContents(td); return r.getClientRects().length; })()
            """)
        #expect(whole == "1", "example.com wraps onto \(whole) lines")
        try browser.screenshot(to: Self.screenshots + "/18-source-phone.png")
    }

    @Test("markup in a report runs nowhere: no script element, no dialog, the text shows as written")
    func hostileReport() throws {
        let f = try WebFixture()
        let server = HTTPServer(app: f.app)
        try server.start(host: "127.0.0.1", port: 0)
        defer { server.stop() }
        let base = "http://127.0.0.1:\(server.port)"
        let browser = try HeadlessBrowser()
        defer { browser.close() }
        try browser.navigate(to: base + "/signin")
        try browser.evaluateAndWaitForLoad(
            """
            document.querySelector('input[name=name]').value = 'alice';
            document.querySelector('input[name=password]').value = '\(WebFixture.password)';
            document.querySelector('form').submit();
            """)
        _ = try browser.send("Page.enable")
        try browser.navigate(to: base + "/reports?domain=hostile.test")
        try browser.evaluateAndWaitForLoad("document.querySelector('a[href^=\"/reports/\"]').click()")
        #expect(try browser.evaluate("document.querySelectorAll('script').length") == "0")
        #expect(try browser.evaluate("document.querySelectorAll('main img').length") == "0")
        let text = try browser.evaluateString("document.body.innerText") ?? ""
        #expect(text.contains(WebFixture.hostile))
        #expect(text.contains(WebFixture.hostileImage))
        // An alert would have opened a dialog: none did.
        #expect(throws: (any Error).self) { _ = try browser.waitForEvent("Page.javascriptDialogOpening", timeout: 0.5) }
        try browser.screenshot(to: Self.screenshots + "/07-hostile-report.png")
    }
}
