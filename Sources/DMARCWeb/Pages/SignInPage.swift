import DMARCCore
import DMARCStore

/// Signing in and out. The sign-in form has its own CSRF token (a cookie and a field that must
/// match), so another site cannot sign a browser in to an account of its choosing.
enum SignInPage {
    static func form(_ request: HTTPRequest, error: String?, status: Int = 200, next: String? = nil) -> HTTPResponse {
        let t = Localizer(.negotiate(request.acceptedLanguages))
        // Reuse the browser's token: a second GET (another tab, a favicon redirect) must not
        // invalidate a form already on screen.
        let existing = request.cookies[SessionCookie.signInName].flatMap { SecretToken.isWellFormed($0) ? $0 : nil }
        let token = existing ?? SecretToken.make()
        let next = PageRoutes.localPath(next ?? request.query("next") ?? request.form["next"])
        let page: HTML = """
            <!doctype html>
            <html lang="\(t.language.rawValue)"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(t("signin.title")) · DMARCWatch</title><link rel="stylesheet" href="/static/app.css"></head>
            <body><main><div class="signin"><h1>DMARCWatch</h1>
            \(error.map { Layout.notice($0, error: true) } ?? .empty)
            <form class="stack" method="post" action="/signin">
            <input type="hidden" name="csrf" value="\(token)"><input type="hidden" name="next" value="\(next)">
            <label>\(t("signin.name"))<input name="name" autocomplete="username" required autofocus></label>
            <label>\(t("signin.password"))<input name="password" type="password" autocomplete="current-password" required></label>
            <button type="submit">\(t("signin.submit"))</button></form>
            <p class="muted">\(t("signin.help"))</p></div></main></body></html>
            """
        var r = HTTPResponse.html(page, status: status)
        r.headers.append(SessionCookie.set(SessionCookie.signInName, token, request: request, maxAge: 3600))
        return r
    }

    /// A hash to verify against when the user does not exist, so the answer takes as long.
    static let decoy: String = (try? PasswordHasher.hash("decoy-password-never-used")) ?? "$y$"

    static func submit(_ request: HTTPRequest, store: ReportStore) throws -> HTTPResponse {
        let t = Localizer(.negotiate(request.acceptedLanguages))
        let f = request.form
        // Without the form's token (its cookie lasts an hour) the form is shown again, with a
        // fresh token and a word on why: nothing is checked or counted.
        guard let sent = f["csrf"], let cookie = request.cookies[SessionCookie.signInName],
            SecretToken.isWellFormed(cookie), constantTimeEqual(Array(sent.utf8), Array(cookie.utf8))
        else {
            var fresh = request
            fresh.headers["cookie"] = nil
            return form(fresh, error: t("signin.expired"), status: 403, next: f["next"])
        }
        let name = (f["name"] ?? "").trimmingSpaces()
        let password = f["password"] ?? ""
        // No account has a longer name; refused before anything is written.
        guard name.utf8.count <= 64, !name.isEmpty else { return form(request, error: t("signin.failed"), status: 401) }
        let locks = SignInLock.locks(name: name, address: request.clientAddress)
        for lock in locks {
            guard let until = try store.signInLockedUntil(key: lock.key) else { continue }
            // One audit entry per lock, however often a locked key is tried.
            if try store.claimSignInAudit(key: lock.key, until: until) {
                let known = try store.user(named: name)?.0.name
                try store.audit(
                    user: known, action: "signin.throttled",
                    detail: (known == nil ? "unknown user; " : "") + "\(request.clientAddress); \(lock.kind)")
            }
            return form(request, error: t("signin.throttled"), status: 429)
        }
        let found = try store.user(named: name)
        let ok = PasswordHasher.verify(password, against: found?.1 ?? decoy) && found != nil
        guard ok, let (user, _) = found else {
            for lock in locks {
                try store.recordSignInFailure(
                    key: lock.key, limit: lock.limit, window: lock.window, lock: lock.duration)
            }
            // What was typed is recorded only when it names an account: a password typed into
            // the name field must not end up in the log.
            try store.audit(
                user: found?.0.name, action: "signin.failed",
                detail: found == nil ? "unknown user; \(request.clientAddress)" : request.clientAddress)
            return form(request, error: t("signin.failed"), status: 401)
        }
        try store.clearSignInFailures(key: locks[0].key)
        let token = SecretToken.make()
        try store.createSession(tokenHash: SecretToken.digest(token), userID: user.id, csrfToken: SecretToken.make())
        try store.audit(user: user.name, action: "signin", detail: request.clientAddress)
        var r = HTTPResponse.redirect(PageRoutes.localPath(f["next"]))
        r.headers.append(
            SessionCookie.set(SessionCookie.name, token, request: request, maxAge: ReportStore.sessionLifetime))
        r.headers.append(SessionCookie.set(SessionCookie.signInName, "", request: request, maxAge: 0))
        return r
    }

    static func signOut(_ c: RequestContext) throws -> HTTPResponse {
        if let token = c.request.cookies[SessionCookie.name] {
            try c.store.deleteSession(tokenHash: SecretToken.digest(token))
        }
        try c.store.audit(user: c.user.name, action: "signout", detail: nil)
        var r = HTTPResponse.redirect("/signin")
        r.headers.append(SessionCookie.set(SessionCookie.name, "", request: c.request, maxAge: 0))
        return r
    }
}

/// The sign-in throttles. The strict one is per user name *and* address, so nobody can lock an
/// account (the administrator's, say) out from everywhere by failing on purpose; an address
/// gets more room, since everyone behind a proxy or NAT shares one; and a user name has a much
/// higher limit across all addresses, against guessing spread over many of them.
struct SignInLock {
    var key: String
    /// Failures within `window` seconds that lock the key for `duration` seconds.
    var limit: Int
    var window: Int64
    var duration: Int64
    /// What the audit log calls it.
    var kind: String

    static func locks(name: String, address: String) -> [SignInLock] {
        let user = name.lowercased()
        return [
            SignInLock(
                key: "user:\(user)|address:\(address)", limit: 5, window: 900, duration: 900,
                kind: "user name at this address"),
            SignInLock(key: "address:\(address)", limit: 20, window: 900, duration: 900, kind: "address"),
            SignInLock(key: "user:\(user)", limit: 100, window: 3600, duration: 900, kind: "user name"),
        ]
    }
}
