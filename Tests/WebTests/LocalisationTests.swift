import DMARCStore
import DMARCWeb
import Foundation
import Testing

/// What the server says, in the user's language: errors, notices, statuses, dispositions.
@Suite("Web: messages in the user's language")
struct LocalisationTests {
    let f: WebFixture

    init() throws { f = try WebFixture() }

    func japanese(_ name: String) throws -> WebFixture.Session { try f.signIn(name, language: "ja") }

    func headers(_ s: WebFixture.Session) -> [String: String] {
        var h = s.headers
        h["accept-language"] = "ja"
        return h
    }

    @Test("a page's error is a page of the site in the user's language, with its navigation")
    func errorPages() throws {
        let bob = try japanese("bob")
        let missing = f.send("GET", "/domains/other.org", headers: headers(bob))
        #expect(missing.status == 404)
        #expect(missing.text.contains("<html lang=\"ja\">"))
        #expect(missing.text.contains("<h1>エラー 404</h1>"))
        #expect(missing.text.contains("見つかりません。"))
        #expect(missing.text.contains("<nav><a href=\"/\">概要</a>"))
        #expect(!missing.text.contains("Not found"))
        let forbidden = f.send("GET", "/health", headers: headers(bob))
        #expect(forbidden.status == 403)
        #expect(forbidden.text.contains("この操作には管理者の権限が必要です。"))
        let period = f.send("GET", "/", query: [("period", "13")], headers: headers(bob))
        #expect(period.status == 400)
        #expect(period.text.contains("期間には 7 日、30 日、90 日、または任意の期間を指定してください。"))
        let custom = f.send("GET", "/", query: [("period", "custom"), ("from", "2024-13-01")], headers: headers(bob))
        #expect(custom.text.contains("任意の期間には開始日と終了日"))
        var form = headers(bob)
        form["content-type"] = "application/x-www-form-urlencoded"
        let csrf = f.send("POST", "/settings/language", headers: form, body: Array("language=en".utf8))
        #expect(csrf.status == 403)
        #expect(csrf.text.contains("フォームのセキュリティトークンがないか"))
        let language = f.send(
            "POST", "/settings/language", headers: form, body: Array("language=xx&csrf=\(bob.csrf)".utf8))
        #expect(language.status == 400)
        #expect(language.text.contains("不明な言語です。"))
        // The API answers the same errors as JSON, in English, for scripts.
        let api = f.send("GET", "/api/v1/overview", query: [("period", "13")], headers: f.bearer(f.memberToken))
        #expect(api.status == 400)
        #expect(api.contentType == "application/json")
        let error = try #require(api.json as? [String: String])
        #expect(error == ["error": "The period must be 7, 30 or 90 days, or custom."])
        let notFound = f.send("GET", "/api/v1/domains/other.org", headers: f.bearer(f.memberToken))
        #expect((notFound.json as? [String: String])?["error"] == "Not found.")
    }

    @Test("an expired sign-in form is shown again with a notice and a fresh token, and then works")
    func expiredSignIn() throws {
        let r = f.send(
            "POST", "/signin",
            headers: ["content-type": "application/x-www-form-urlencoded", "accept-language": "ja"],
            body: Array("csrf=\(String(repeating: "a", count: 64))&name=alice&password=x&next=%2Freports".utf8))
        #expect(r.status == 403)
        #expect(r.text.contains("ログインフォームの有効期限が切れました。もう一度ログインしてください。"))
        #expect(r.text.contains("name=\"next\" value=\"/reports\""))
        let token = try #require(cookie(r, SessionCookie.signIn))
        let csrf = try #require(hiddenCSRF(r.text))
        #expect(token == csrf)
        let again = f.send(
            "POST", "/signin",
            headers: ["cookie": "dmw_signin=\(token)", "content-type": "application/x-www-form-urlencoded"],
            body: Array("csrf=\(csrf)&name=alice&password=correct+horse+battery&next=%2Freports".utf8))
        #expect(again.status == 303)
        #expect(again.header("Location") == "/reports")
        // Nothing was counted against the account for the expired form.
        #expect(try f.store().signInLockedUntil(key: "user:alice") == nil)
        #expect(try f.store().auditEntries().allSatisfy { $0.action != "signin.failed" })
    }

    @Test("the ingestion page: statuses, sizes and re-parse outcomes in Japanese; the importer's words marked English")
    func health() throws {
        let broken = f.send(
            "POST", "/api/v1/reports", query: [("name", "broken.xml")], headers: f.bearer(f.adminToken),
            body: Array(("<feedback><report_metadata>" + String(repeating: " ", count: 973)).utf8))
        #expect(broken.status == 422)
        let alice = try japanese("alice")
        let page = f.send("GET", "/health", headers: headers(alice)).text
        #expect(page.contains("<td>失敗</td>"))
        #expect(page.contains("1,000 バイト"))
        #expect(page.contains("<span lang=\"en\">"))
        #expect(page.contains("（英語）"))
        let failed = try #require(try f.store().rawDocuments(status: [.failed]).first)
        var form = headers(alice)
        form["content-type"] = "application/x-www-form-urlencoded"
        let reparse = f.send(
            "POST", "/health/reparse", headers: form, body: Array("id=\(failed.id)&csrf=\(alice.csrf)".utf8))
        #expect(reparse.text.contains("再解析しても失敗します：<span lang=\"en\">"))
        #expect(!reparse.text.contains("Still fails"))
        let ok = f.send("POST", "/health/reparse", headers: form, body: Array("id=1&csrf=\(alice.csrf)".utf8))
        #expect(ok.text.contains("再解析しました：レポート 0 件、レコード 0 件。"))
    }

    @Test("dispositions and report formats in Japanese on the source and report pages")
    func dispositions() throws {
        let alice = try japanese("alice")
        let source = f.send("GET", "/sources/203.0.113.9", headers: headers(alice)).text
        #expect(source.contains("<td>配信</td>"))
        #expect(!source.contains("<td>none</td>"))
        let report = f.send("GET", "/reports/1", headers: headers(alice)).text
        #expect(report.contains("<td>配信</td>"))
        #expect(report.contains("RFC 7489"))
        let english = f.send("GET", "/reports/1", headers: alice.headers.merging(["accept-language": "en"]) { $1 })
        // The user chose nothing, so the browser decides: English here.
        #expect(english.text.contains("<td>Delivered</td>"))
    }
}
