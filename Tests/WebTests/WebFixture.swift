import DMARCCore
import DMARCIngest
import DMARCNet
import DMARCStore
import DMARCWeb
import Foundation
import TestServers
import Testing

/// One record of a generated report.
struct TestRecord {
    var ip: String
    var count: Int
    var disposition = "none"
    var dkim = "pass"
    var spf = "pass"
    var headerFrom: String
    var dkimDomain: String?
    var spfDomain: String?
}

/// Aggregate report XML written here, so each test knows exactly what is in the database.
func aggregateXML(org: String, reportID: String, domain: String, begin: Int64, records: [TestRecord]) -> String {
    func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
    var xml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <feedback><report_metadata><org_name>\(esc(org))</org_name><email>noreply@reporter.example</email>
        <report_id>\(esc(reportID))</report_id><date_range><begin>\(begin)</begin><end>\(begin + 86_399)</end></date_range>
        </report_metadata><policy_published><domain>\(esc(domain))</domain><adkim>r</adkim><aspf>r</aspf><p>none</p>
        <sp>none</sp><pct>100</pct></policy_published>
        """
    for r in records {
        xml += """
            <record><row><source_ip>\(r.ip)</source_ip><count>\(r.count)</count><policy_evaluated>
            <disposition>\(r.disposition)</disposition><dkim>\(r.dkim)</dkim><spf>\(r.spf)</spf></policy_evaluated></row>
            <identifiers><header_from>\(esc(r.headerFrom))</header_from></identifiers><auth_results>
            """
        if let d = r.dkimDomain {
            xml += "<dkim><domain>\(esc(d))</domain><selector>s1</selector><result>\(r.dkim)</result></dkim>"
        }
        xml +=
            "<spf><domain>\(esc(r.spfDomain ?? r.headerFrom))</domain><result>\(r.spf)</result></spf></auth_results></record>"
    }
    return xml + "</feedback>\n"
}

/// A database with known reports for three domains, two accounts and a token, and the web app
/// on it. Day 20_000 is 2024-10-04; reports cover the 10 days up to it.
final class WebFixture: @unchecked Sendable {
    let dir: String
    let db: String
    let app: WebApp
    let adminToken: String
    let memberToken: String
    static let password = "correct horse battery"
    static let lastDay: Int64 = 20_000
    /// Markup in every field a report controls.
    static let hostile = "<script>alert(1)</script>"
    static let hostileImage = "\"><img src=x onerror=alert(2)>"

    init(nameserver: String? = nil, trustedProxy: String? = nil, maximumUpload: Int = WebApp.defaultMaximumUpload)
        throws
    {
        dir = NSTemporaryDirectory() + "dmarcwatch-web-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/reports", withIntermediateDirectories: true)
        db = dir + "/web.sqlite3"
        for i in 0..<10 {
            let begin = (Self.lastDay - Int64(i)) * 86_400
            let google = TestRecord(
                ip: "209.85.220.41", count: 100 + i, headerFrom: "example.com", dkimDomain: "example.com",
                spfDomain: "example.com")
            let esp = TestRecord(
                ip: "167.89.10.20", count: 40, dkim: "fail", spf: "pass", headerFrom: "example.com",
                dkimDomain: "sendgrid.net", spfDomain: "example.com")
            let spoofer = TestRecord(
                ip: "203.0.113.9", count: 5, disposition: "none", dkim: "fail", spf: "fail", headerFrom: "example.com",
                spfDomain: "spoof.example")
            try aggregateXML(
                org: "google.com", reportID: "g-\(i)", domain: "example.com", begin: begin,
                records: [google, esp, spoofer]
            ).write(toFile: "\(dir)/reports/google-\(i).xml", atomically: true, encoding: .utf8)
            let other = TestRecord(
                ip: "198.51.100.77", count: 30, headerFrom: "other.org", dkimDomain: "other.org", spfDomain: "other.org"
            )
            try aggregateXML(org: "Yahoo", reportID: "y-\(i)", domain: "other.org", begin: begin, records: [other])
                .write(toFile: "\(dir)/reports/yahoo-\(i).xml", atomically: true, encoding: .utf8)
        }
        let hostileRecord = TestRecord(
            ip: "192.0.2.66", count: 3, dkim: "fail", spf: "fail", headerFrom: Self.hostileImage,
            dkimDomain: Self.hostile, spfDomain: Self.hostileImage)
        try aggregateXML(
            org: Self.hostile, reportID: Self.hostileImage, domain: "hostile.test", begin: Self.lastDay * 86_400,
            records: [hostileRecord]
        ).write(toFile: "\(dir)/reports/hostile.xml", atomically: true, encoding: .utf8)

        let store = try ReportStore(path: db)
        let summary = Importer(store: store).importPaths([dir + "/reports"])
        precondition(summary.failed == 0, "fixture reports failed: \(summary.failures)")
        let hash = try PasswordHasher.hash(Self.password)
        try store.addUser(name: "alice", passwordHash: hash, role: .admin, domains: [])
        try store.addUser(name: "bob", passwordHash: hash, role: .member, domains: ["example.com"])
        adminToken = APIToken.make()
        memberToken = APIToken.make()
        try store.createAPIToken(tokenHash: SecretToken.digest(adminToken), userName: "alice", name: "test")
        try store.createAPIToken(tokenHash: SecretToken.digest(memberToken), userName: "bob", name: "test")
        app = WebApp(
            databasePath: db, services: Self.services(db, nameserver: nameserver), trustedProxy: trustedProxy,
            maximumUpload: maximumUpload)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// The real import pipeline behind uploads and re-parsing; DNS from a loopback server when
    /// given one.
    static func services(_ db: String, nameserver: String?) -> WebServices {
        WebServices(
            upload: { name, bytes, user in
                var out = UploadOutcome()
                guard let store = try? ReportStore(path: db) else { return out }
                let importer = Importer(store: store)
                importer.importBytes(bytes, name: name, origin: "upload:\(user):\(name)")
                out.documents = importer.summary.documents
                out.imported = importer.summary.imported
                out.duplicates = importer.summary.duplicates
                out.failed = importer.summary.failed
                out.records = importer.summary.records
                out.failures = importer.summary.failures.map { ($0.source, $0.error) }
                return out
            },
            reparse: { id in
                guard let store = try? ReportStore(path: db) else { return ReparseOutcome(error: "no store") }
                let importer = Importer(store: store)
                try? importer.reparse(documentID: id)
                let s = importer.summary
                return ReparseOutcome(reports: s.reports, records: s.records, error: s.failures.first?.error)
            },
            publishedDMARC: { domain in
                guard let nameserver, let config = try? DNSConfiguration(nameserver: nameserver) else {
                    return DNSPublication(record: nil, englishProblem: "no DNS in this test")
                }
                let found = DMARCPolicyFinder(resolver: DNSResolver(config)).publishedRecordExplained(domain)
                return DNSPublication(record: found.record, problem: found.problem)
            })
    }

    func store() throws -> ReportStore { try ReportStore(path: db) }

    /// Sends a request straight to the app (no sockets).
    func send(
        _ method: String, _ path: String, query: [(String, String)] = [], headers: [String: String] = [:],
        body: [UInt8] = [], from address: String = "127.0.0.1"
    ) -> HTTPResponse {
        app.handle(
            HTTPRequest(method: method, path: path, query: query, headers: headers, body: body, clientAddress: address))
    }

    func bearer(_ token: String) -> [String: String] { ["authorization": "Bearer \(token)"] }

    /// Signs in through the form and returns the cookie header of the session and its CSRF token.
    func signIn(_ name: String, language: String = "en") throws -> Session {
        let form = send("GET", "/signin", headers: ["accept-language": language])
        let pre = try #require(cookie(form, SessionCookie.signIn))
        let csrf = try #require(hiddenCSRF(form.text))
        let body = "csrf=\(csrf)&name=\(name)&password=\(WebFixture.password.replacingOccurrences(of: " ", with: "+"))"
        let r = send(
            "POST", "/signin",
            headers: [
                "cookie": "\(SessionCookie.signIn)=\(pre)", "content-type": "application/x-www-form-urlencoded",
                "accept-language": language,
            ], body: Array(body.utf8))
        guard r.status == 303, let token = cookie(r, SessionCookie.session) else {
            throw HTTPTestClient.Failure(description: "sign-in failed: \(r.status) \(r.text)")
        }
        let page = send("GET", "/", headers: ["cookie": "\(SessionCookie.session)=\(token)"])
        return Session(cookie: "\(SessionCookie.session)=\(token)", csrf: try #require(hiddenCSRF(page.text)))
    }

    struct Session {
        var cookie: String
        var csrf: String
        var headers: [String: String] { ["cookie": cookie] }
    }
}

enum SessionCookie {
    static let session = "dmw_session"
    static let signIn = "dmw_signin"
}

func cookie(_ r: HTTPResponse, _ name: String) -> String? {
    for (k, v) in r.headers where k == "Set-Cookie" && v.hasPrefix(name + "=") {
        let value = v.dropFirst(name.count + 1).prefix { $0 != ";" }
        return value.isEmpty ? nil : String(value)
    }
    return nil
}

func hiddenCSRF(_ html: String) -> String? {
    guard let r = html.range(of: "name=\"csrf\" value=\"") else { return nil }
    let token = html[r.upperBound...].prefix { $0 != "\"" }
    return token.isEmpty ? nil : String(token)
}

extension HTTPResponse {
    /// The body, read from the spool file when the response streams one.
    var bytes: [UInt8] {
        guard let file else { return body }
        var out = [UInt8](repeating: 0, count: Int(file.size))
        let n = out.withUnsafeMutableBytes { pread(file.descriptor, $0.baseAddress, $0.count, 0) }
        return Array(out.prefix(max(n, 0)))
    }
    var text: String { String(decoding: bytes, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first(where: { $0.0 == name })?.1 }
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(bytes)) }
}
