import DMARCCore
import DMARCEnrich
import DMARCStore
import Synchronization

/// What the web layer asks of the rest of the program: the import pipeline and DNS live in
/// modules the web layer does not import (DESIGN §3), so the executable hands them in.
public struct WebServices: Sendable {
    /// Imports one uploaded file (a report, archive or message) and says what happened.
    public var upload: @Sendable (_ name: String, _ bytes: [UInt8], _ user: String) -> UploadOutcome
    /// Re-parses one stored raw document and says what happened.
    public var reparse: @Sendable (_ documentID: Int64) -> ReparseOutcome
    /// The DMARC record DNS publishes for a domain, or why there is none.
    public var publishedDMARC: @Sendable (_ domain: String) -> DNSPublication
    /// A classifier for one request (`serve` shares its SPF cache across requests, with an expiry).
    public var sourceAnalysis: @Sendable () -> SourceAnalysis
    /// The network owner of an address from RDAP, or why not.
    public var networkOwner: @Sendable (_ address: IPAddress) -> OwnerLookup

    public init(
        upload: @escaping @Sendable (String, [UInt8], String) -> UploadOutcome,
        reparse: @escaping @Sendable (Int64) -> ReparseOutcome,
        publishedDMARC: @escaping @Sendable (String) -> DNSPublication,
        sourceAnalysis: @escaping @Sendable () -> SourceAnalysis = { SourceAnalysis(authorizer: nil) },
        networkOwner: @escaping @Sendable (IPAddress) -> OwnerLookup = { _ in
            OwnerLookup(owner: nil, handle: nil, problem: "RDAP lookups are not configured")
        }
    ) {
        self.upload = upload
        self.reparse = reparse
        self.publishedDMARC = publishedDMARC
        self.sourceAnalysis = sourceAnalysis
        self.networkOwner = networkOwner
    }
}

/// The result of importing one upload.
public struct UploadOutcome: Sendable {
    public var documents = 0
    public var imported = 0
    public var duplicates = 0
    public var failed = 0
    public var ignored = 0
    public var records = 0
    public var messages: Int64 = 0
    public var failures: [(source: String, error: String)] = []

    public init() {}

    /// Adds another upload's outcome (message counts saturate: they come from reports).
    mutating func add(_ o: UploadOutcome) {
        documents += o.documents
        imported += o.imported
        duplicates += o.duplicates
        failed += o.failed
        ignored += o.ignored
        records += o.records
        let (sum, overflow) = messages.addingReportingOverflow(o.messages)
        messages = overflow ? Int64.max : sum
        failures += o.failures
    }
}

/// What RDAP said about an address's network.
public struct OwnerLookup: Sendable {
    public var owner: String?
    public var handle: String?
    public var problem: String?

    public init(owner: String?, handle: String?, problem: String?) {
        self.owner = owner
        self.handle = handle
        self.problem = problem
    }
}

/// What a DNS lookup of `_dmarc.DOMAIN` found.
public struct DNSPublication: Sendable {
    public var record: String?
    /// Why there is no record, with a code the catalogue may translate.
    public var problem: Explanation?

    public init(record: String?, problem: Explanation?) {
        self.record = record
        self.problem = problem
    }

    /// A problem in English only (no code the catalogue knows).
    public init(record: String?, englishProblem problem: String?) {
        self.init(record: record, problem: problem.map { Explanation("english-only", [], $0) })
    }
}

/// What re-parsing a stored document did.
public struct ReparseOutcome: Sendable {
    public var reports: Int
    public var records: Int
    /// Why the document still fails, in the importer's words (English); nil when it parsed.
    public var error: String?

    public init(reports: Int = 0, records: Int = 0, error: String? = nil) {
        self.reports = reports
        self.records = records
        self.error = error
    }
}

/// The web application: authentication, routing and the pages and API built on the store.
/// Called on libmicrohttpd's threads; each request borrows a store connection from a pool.
public final class WebApp: Sendable {
    let pool: StorePool
    let services: WebServices
    /// Largest upload accepted by default, as `import` accepts a message (DESIGN §2).
    public static let defaultMaximumUpload = 50 << 20
    /// Largest body of anything but an upload: forms are small.
    public static let maximumForm = 64 << 10
    /// Largest upload accepted by this app.
    public let maximumUpload: Int

    /// The address of a reverse proxy in front of the server: requests from it are attributed
    /// to the last address of their X-Forwarded-For header (for throttling and the audit log).
    let trustedProxy: String?

    public init(
        databasePath: String, services: WebServices, trustedProxy: String? = nil,
        maximumUpload: Int = WebApp.defaultMaximumUpload
    ) {
        pool = StorePool(path: databasePath)
        self.services = services
        self.trustedProxy = trustedProxy
        self.maximumUpload = maximumUpload
    }

    /// Connections one client address may hold at once. Behind a trusted proxy every connection
    /// comes from the proxy, so there is no per-address limit then.
    public var connectionsPerAddress: Int { trustedProxy == nil ? 32 : 0 }

    /// The answer when the server refuses a request before it reaches `handle`: JSON under
    /// /api/, else a page in the browser's language.
    @Sendable public func refusal(_ request: HTTPRequest, status: Int, limit: Int) -> HTTPResponse {
        let error: WebError = status == 413 ? .tooLarge(limit) : .busy
        var r = error.response(api: request.path.hasPrefix("/api/"), t: Self.browserLanguage(request))
        for header in Self.securityHeaders where !r.headers.contains(where: { $0.0 == header.0 }) {
            r.headers.append(header)
        }
        return r
    }

    static func isUpload(_ request: HTTPRequest) -> Bool {
        request.method == "POST" && (request.path == "/upload" || request.path == "/api/v1/reports")
    }

    /// The body limit for the HTTP server, decided from the headers: an upload may be large, but
    /// only for a signed-in administrator; everything else is a small form.
    public func bodyLimit(_ request: HTTPRequest) -> Int {
        guard Self.isUpload(request),
            let auth = try? pool.with({ store in try authenticate(request, store: store) }),
            auth.user.role == .admin
        else { return Self.maximumForm }
        return maximumUpload
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        var request = request
        let viaProxy = trustedProxy != nil && request.clientAddress == trustedProxy
        if viaProxy, let forwarded = request.headers["x-forwarded-for"]?.split(separator: ",").last?.trimmingSpaces(),
            !forwarded.isEmpty
        {
            request.clientAddress = forwarded
        }
        var response: HTTPResponse
        do {
            response = try pool.with { store in try route(request, store: store) }
        } catch let error as WebError {
            response = error.response(api: request.path.hasPrefix("/api/"), t: Self.browserLanguage(request))
        } catch {
            // The detail goes nowhere near the page: it may hold paths or SQL.
            response = WebError.internalError.response(
                api: request.path.hasPrefix("/api/"), t: Self.browserLanguage(request))
        }
        for header in Self.securityHeaders where !response.headers.contains(where: { $0.0 == header.0 }) {
            response.headers.append(header)
        }
        // The browser reached us over HTTPS through our proxy: tell it to come back only that way.
        if viaProxy, request.headers["x-forwarded-proto"]?.lowercased() == "https" {
            response.headers.append(("Strict-Transport-Security", "max-age=31536000"))
        }
        return response
    }

    static let securityHeaders: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        ),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]

    // MARK: Routing

    func route(_ request: HTTPRequest, store: ReportStore) throws -> HTTPResponse {
        let path = request.path
        let method = request.method == "HEAD" ? "GET" : request.method
        // Without a session: the health probe, the stylesheet and signing in.
        switch (method, path) {
        case ("GET", "/healthz"):
            return .json(.object([("status", .string("ok"))]))
        case ("GET", "/static/app.css"):
            var r = HTTPResponse(status: 200, contentType: "text/css; charset=utf-8", body: Stylesheet.css)
            r.headers.append(("Cache-Control", "max-age=3600"))
            return r
        case ("GET", "/favicon.ico"):
            return HTTPResponse(status: 404, body: "")
        case ("GET", "/signin"):
            return SignInPage.form(request, error: nil)
        case ("POST", "/signin"):
            return try SignInPage.submit(request, store: store)
        default:
            break
        }
        let api = path.hasPrefix("/api/")
        guard let auth = try authenticate(request, store: store) else {
            if api { throw WebError.unauthorized }
            return .redirect("/signin" + queryString([("next", request.method == "GET" ? path : nil)]))
        }
        let t = Localizer(language(for: request, user: auth.user))
        func context(_ request: HTTPRequest) -> RequestContext {
            var c = RequestContext(
                request: request, store: store, user: auth.user, csrf: auth.csrf, services: services, t: t)
            c.maximumUpload = maximumUpload
            return c
        }
        do {
            var request = request
            if Self.isUpload(request) {
                // Only administrators upload; checked before the body is parsed.
                guard auth.user.role == .admin else { throw WebError.forbidden }
                if (request.headers["content-type"] ?? "").lowercased().hasPrefix("multipart/form-data") {
                    request.parts = request.multipartParts
                }
            }
            // Every state-changing request made with a session cookie carries its CSRF token.
            if method == "POST", let csrf = auth.csrf {
                let sent = request.form["csrf"] ?? request.headers["x-csrf-token"] ?? multipartField(request, "csrf")
                guard let sent, constantTimeEqual(Array(sent.utf8), Array(csrf.utf8)) else { throw WebError.badCSRF }
            }
            let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
            if api { return try APIRoutes.route(method, segments, context(request)) }
            return try PageRoutes.route(method, segments, context(request))
        } catch let error as WebError where !api {
            // A page's error is a page of the site, in the user's language, with its navigation.
            return error.page(context(request))
        } catch  where !api {
            // The detail goes nowhere near the page: it may hold paths or SQL.
            return WebError.internalError.page(context(request))
        }
    }

    func multipartField(_ request: HTTPRequest, _ name: String) -> String? {
        guard let parts = request.parts else { return nil }
        return parts.first(where: { $0.name == name && $0.filename == nil }).map {
            String(decoding: $0.data, as: UTF8.self)
        }
    }

    /// The browser's language, for answers without a session.
    static func browserLanguage(_ request: HTTPRequest) -> Localizer {
        Localizer(.negotiate(request.acceptedLanguages))
    }

    func language(for request: HTTPRequest, user: UserAccount) -> Localizer.Language {
        if let chosen = user.language, let l = Localizer.Language(rawValue: chosen) { return l }
        return .negotiate(request.acceptedLanguages)
    }

    /// The account behind a request: an API token (`Authorization: Bearer`) or a session cookie.
    func authenticate(_ request: HTTPRequest, store: ReportStore) throws -> (user: UserAccount, csrf: String?)? {
        if let header = request.headers["authorization"] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            let token = String(parts[1]).trimmingSpaces()
            guard APIToken.isWellFormed(token), let user = try store.apiTokenUser(tokenHash: SecretToken.digest(token))
            else { return nil }
            return (user, nil)
        }
        guard let token = request.cookies[SessionCookie.name], SecretToken.isWellFormed(token),
            let session = try store.session(tokenHash: SecretToken.digest(token))
        else { return nil }
        return (session.user, session.csrfToken)
    }
}

/// Everything a page or API handler needs for one request.
struct RequestContext {
    let request: HTTPRequest
    /// Largest upload the app accepts (for the upload page's text).
    var maximumUpload = WebApp.defaultMaximumUpload
    let store: ReportStore
    let user: UserAccount
    /// The session's CSRF token; nil when the request came with an API token.
    let csrf: String?
    let services: WebServices
    let t: Localizer

    var visibleDomains: [String]? { user.visibleDomains }

    func requireDomain(_ domain: String) throws -> String {
        let d = domain.lowercased()
        guard user.canSee(domain: d) else { throw WebError.notFound }
        return d
    }

    func requireAdmin() throws {
        guard user.role == .admin else { throw WebError.forbidden }
    }
}

/// API tokens: `dmw_` and 64 hex digits, so they are recognisable in a secret scanner.
public enum APIToken {
    public static func make() -> String { "dmw_" + SecretToken.make() }

    static func isWellFormed(_ token: String) -> Bool {
        token.hasPrefix("dmw_") && SecretToken.isWellFormed(String(token.dropFirst(4)))
    }
}

enum SessionCookie {
    static let name = "dmw_session"
    static let signInName = "dmw_signin"

    static func set(_ name: String, _ value: String, request: HTTPRequest, maxAge: Int64) -> (String, String) {
        // Secure when the browser reached us over HTTPS through a proxy.
        let secure = request.headers["x-forwarded-proto"]?.lowercased() == "https" ? "; Secure" : ""
        return ("Set-Cookie", "\(name)=\(value); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax\(secure)")
    }
}

extension HTTPResponse {
    static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "application/json", body: value.serialized() + "\n")
    }

    static func html(_ page: HTML, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/html; charset=utf-8", body: page.text)
    }

    static func redirect(_ location: String) -> HTTPResponse {
        var r = HTTPResponse(status: 303, body: "")
        r.headers.append(("Location", location))
        return r
    }
}

/// Store connections for the request threads: one SQLite connection per concurrent request.
final class StorePool: Sendable {
    private let path: String
    private let idle = Mutex<[StoreBox]>([])

    init(path: String) { self.path = path }

    func with<T>(_ body: (ReportStore) throws -> T) throws -> T {
        let box = try idle.withLock { $0.popLast() } ?? StoreBox(try ReportStore(path: path))
        defer { idle.withLock { $0.append(box) } }
        return try body(box.store)
    }
}

/// A connection moved between request threads; only one thread holds it at a time.
final class StoreBox: @unchecked Sendable {
    let store: ReportStore
    init(_ store: ReportStore) { self.store = store }
}
