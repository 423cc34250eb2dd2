import DMARCCore
import DMARCStore
import DMARCWeb

#if canImport(Glibc)
    import Glibc
#endif

/// `fleet`, `demo` and `dashboard`: the data and timings of the dashboard benchmark, and the
/// demo reports of `make run`.
enum DashboardBench {
    static func options(_ args: [String]) -> [String: String] {
        var out: [String: String] = [:]
        var i = 1
        while i + 1 < args.count {
            out[args[i]] = args[i + 1]
            i += 2
        }
        return out
    }

    static func today() -> Int64 { DayMath.day(of: Int64(time(nil))) }

    /// Writes a fleet straight into a database through the report writer (no XML).
    static func fleet(_ args: [String]) throws -> Int32 {
        let o = options(args)
        guard let db = o["--db"] else { throw BenchError("fleet needs --db") }
        let records = Int(o["--records"] ?? "") ?? 10_000_000
        let days = Int(o["--days"] ?? "") ?? 90
        let domains = Int(o["--domains"] ?? "") ?? 50
        let fleet = Fleet(
            domains: Fleet.domainNames(domains), firstDay: today() - Int64(days), days: days, records: records, seed: 7)
        let store = try ReportStore(path: db)
        let start = BenchTool.monotonicSeconds()
        var stored = 0
        var reports = 0
        try fleet.reports { header, batch in
            let writer = store.reportWriter(rawDocumentID: nil, sourceName: "bench-fleet")
            guard try writer.begin(header) else { return }
            for r in batch { try writer.record(r) }
            try writer.finish(header)
            stored += batch.count
            reports += 1
            if reports % 2000 == 0 {
                let t = BenchTool.monotonicSeconds() - start
                print("  \(reports) reports, \(stored) records, \(Int(Double(stored) / t)) records/s")
            }
        }
        let t = BenchTool.monotonicSeconds() - start
        print(
            "fleet: \(reports) reports, \(stored) records over \(days) days and \(domains) domains in \(BenchTool.formatted(t)) s"
        )
        return 0
    }

    /// Writes demo reports (XML files) for the last `--days` days into `--out`.
    static func demo(_ args: [String]) throws -> Int32 {
        let o = options(args)
        guard let dir = o["--out"] else { throw BenchError("demo needs --out") }
        let days = Int(o["--days"] ?? "") ?? 45
        mkdir(dir, 0o755)
        let fleet = Fleet(
            domains: ["example.com", "example.jp"], firstDay: today() - Int64(days), days: days,
            records: 2 * days * Fleet.reporters.count * 24, seed: 11)
        var n = 0
        try fleet.reports { header, records in
            let m = header.metadata
            let name = "\(dir)/\(m.orgName ?? "r")!\(header.policy.domain ?? "")!\(m.begin ?? 0)!\(m.end ?? 0).xml"
            let fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw BenchError("cannot write \(name)") }
            defer { close(fd) }
            let bytes = Array(Fleet.xml(header, records).utf8)
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            n += 1
        }
        print("demo: \(n) reports in \(dir)")
        return 0
    }

    /// Times the overview and every domain page for a period, server-side (the app's handler,
    /// without sockets), and prints p50, p95 and max per page.
    static func dashboard(_ args: [String]) throws -> Int32 {
        let o = options(args)
        guard let db = o["--db"] else { throw BenchError("dashboard needs --db") }
        let rounds = Int(o["--rounds"] ?? "") ?? 5
        let period = o["--period"] ?? "90"
        let store = try ReportStore(path: db)
        let token = APIToken.make()
        if try store.user(named: "bench") == nil {
            try store.addUser(
                name: "bench", passwordHash: try PasswordHasher.hash("bench-password-unused"), role: .admin, domains: []
            )
        }
        try store.createAPIToken(tokenHash: SecretToken.digest(token), userName: "bench", name: "bench")
        let domains = try store.knownDomains(visible: nil)
        let app = WebApp(
            databasePath: db,
            services: WebServices(
                upload: { _, _, _ in UploadOutcome() }, reparse: { _ in ReparseOutcome() },
                publishedDMARC: { _ in DNSPublication(record: nil, problem: nil) }))
        func time(_ path: String, _ query: [(String, String)]) throws -> Double {
            let request = HTTPRequest(
                method: "GET", path: path, query: query, headers: ["authorization": "Bearer \(token)"])
            let start = BenchTool.monotonicSeconds()
            let response = app.handle(request)
            let t = BenchTool.monotonicSeconds() - start
            guard response.status == 200 else { throw BenchError("\(path) answered \(response.status)") }
            return t * 1000
        }
        var pages: [(String, [Double])] = [
            ("overview", []), ("domain", []), ("api overview", []), ("api domain", []), ("domain+reporter", []),
            ("source", []),
        ]
        _ = try time("/", [("period", period)])  // warm the page cache once
        for _ in 0..<rounds {
            pages[0].1.append(try time("/", [("period", period)]))
            pages[2].1.append(try time("/api/v1/overview", [("period", period)]))
            for d in domains {
                pages[1].1.append(try time("/domains/\(d)", [("period", period)]))
                pages[3].1.append(try time("/api/v1/domains/\(d)", [("period", period)]))
            }
            // The reporter filter reads records, not the rollup; the source page, one address.
            for d in domains.prefix(10) {
                pages[4].1.append(try time("/domains/\(d)", [("period", period), ("reporter", "google.com")]))
            }
            for ip in try store.domainSources(domain: domains[0], fromDay: 0, toDay: Int64.max / 2).prefix(10).map(\.ip)
            {
                pages[5].1.append(try time("/sources/\(ip)", [("period", period)]))
            }
        }
        let counts = try store.benchCounts()
        print(
            "dashboard: \(domains.count) domains, \(counts.records) records, \(counts.rollup) rollup rows; period \(period) days; \(rounds) rounds"
        )
        print("page            requests   p50 ms   p95 ms   max ms")
        for (name, samples) in pages {
            let s = samples.sorted()
            func pct(_ p: Double) -> Double { s[min(s.count - 1, Int((Double(s.count) * p).rounded(.up)) - 1)] }
            print(
                name.padding(16) + String(s.count).leftPad(8, " ") + BenchTool.formatted(pct(0.5)).leftPad(9, " ")
                    + BenchTool.formatted(pct(0.95)).leftPad(9, " ") + BenchTool.formatted(s.last ?? 0).leftPad(9, " "))
        }
        return 0
    }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
    func leftPad(_ n: Int, _ c: Character) -> String {
        count >= n ? self : String(repeating: c, count: n - count) + self
    }
}
