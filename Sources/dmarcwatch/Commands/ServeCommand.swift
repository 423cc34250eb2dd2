import DMARCCore
import DMARCEnrich
import DMARCIngest
import DMARCNet
import DMARCStore
import DMARCWeb
import Dispatch
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

enum ServeCommand {
    static let command = Command(
        name: "serve",
        summary: "Run the web UI and API, and poll the mailboxes",
        usage: """
            Usage: dmarcwatch serve [--listen HOST:PORT] [--poll-interval SECONDS] [--nameserver HOST[:PORT]]

            Runs until SIGTERM or SIGINT, then stops cleanly: stops accepting connections, lets the
            requests and the mailbox run in progress finish, and exits 0.

              --listen HOST:PORT      address and port to listen on: IPv4, or IPv6 in brackets
                                      ([::1]:8080); default 127.0.0.1:8080; port 0 picks a free
                                      one, printed at start
              --poll-interval S       fetch every configured mailbox every S seconds (default 300)
              --nameserver H[:P]      DNS server for the DNS checks of the Domains page
              --trusted-proxy ADDR    a reverse proxy at ADDR: its requests are attributed to the
                                      last X-Forwarded-For address (sign-in throttling, audit log)
              --enrich-interval S     enrich new source addresses every S seconds (default 600;
                                      reverse DNS, service, and country/AS with --mmdb)
              --mmdb FILE             MMDB file(s) for country and AS (see 'enrich --help')
              --rdap-url URL          RDAP service for the network-owner button (default
                                      https://rdap.org, which redirects to the registry)
              --dns-map FILE          parsedmarc's base_reverse_dns_map.csv, to name more
                                      senders on the sources pages (as 'sources --dns-map')

            Every page and API call needs a session (sign in at /signin with an account from
            'dmarcwatch user add') or an API token ('dmarcwatch token create'); GET /healthz
            answers without one. Put a TLS proxy in front when other machines connect; the
            session cookie is marked Secure when the proxy sends X-Forwarded-Proto: https.

            """,
        options: [
            "--listen", "--poll-interval", "--nameserver", "--trusted-proxy", "--enrich-interval", "--mmdb",
            "--rdap-url", "--dns-map",
        ],
        flags: [],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals.isEmpty else { throw UsageError(message: "serve takes no arguments") }
        let listen = args.value("--listen") ?? "127.0.0.1:8080"
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65535).contains(port)
        else { throw UsageError(message: "--listen must be HOST:PORT") }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            throw UsageError(message: "--listen: write an IPv6 address in brackets, as [::1]:8080")
        }
        var interval = 300
        if let text = args.value("--poll-interval") {
            guard let n = Int(text), n >= 1 else {
                throw UsageError(message: "--poll-interval must be a number of seconds")
            }
            interval = n
        }
        let dns = try DNSConfiguration.from(args, timeout: 3)
        var enrichInterval = 600
        if let text = args.value("--enrich-interval") {
            guard let n = Int(text), n >= 10 else {
                throw UsageError(message: "--enrich-interval must be at least 10 seconds")
            }
            enrichInterval = n
        }
        let rdap: RDAPClient
        do {
            rdap = try RDAPClient(baseURL: args.value("--rdap-url") ?? "https://rdap.org")
        } catch {
            throw UsageError(message: "--rdap-url: \(error)")
        }
        let networks = try Enrichment.networkDatabase(args)
        let map = try SourceQuery.reverseDNSMap(args)
        let users = try context.openStore().users()  // migrations run once, before any thread starts
        let app = WebApp(
            databasePath: context.databasePath, services: services(context, dns: dns, rdap: rdap, map: map),
            trustedProxy: args.value("--trusted-proxy"))
        // Blocked before the server's threads start, so they inherit the mask and only the
        // watcher below ever sees the signals.
        let signals = SignalWatcher([SIGTERM, SIGINT])
        signals.block()
        let server = HTTPServer(app: app)
        try server.start(host: host == "localhost" ? "127.0.0.1" : host, port: port)
        let shown = host.contains(":") ? "[\(host)]" : host
        Console.out("DMARCWatch listening on http://\(shown):\(server.port)/ ; mailboxes polled every \(interval) s\n")
        if users.isEmpty {
            Console.out("No accounts yet: create one with 'dmarcwatch user add NAME --role admin', then sign in.\n")
        }
        let poller = MailboxPoller(databasePath: context.databasePath, limits: context.limits, interval: interval)
        poller.start()
        let enricher = PeriodicJob(label: "dmarcwatch.enrich", interval: enrichInterval) {
            [path = context.databasePath, dns] in
            let s = try Enrichment(dns: dns, networks: networks).run(
                try ReportStore(path: path), limit: 100_000, recentDays: 45)
            if s.addresses > 0 {
                Console.err("dmarcwatch serve: enriched \(s.addresses) address(es), \(s.withPTR) with PTR\n")
            }
        }
        enricher.start()
        // The main thread waits for the signal itself. (dispatchMain() would park it with every
        // signal unblocked, so a SIGTERM could reach it, ignored, instead of the watcher.)
        signals.wait()
        server.stop()
        poller.stop()
        enricher.stop()
        Console.err("dmarcwatch serve: stopped\n")
        return 0
    }

    /// The import pipeline and DNS, for the web layer. Each call opens its own connection: an
    /// upload is a write transaction of its own, like an import.
    static func services(_ context: Context, dns: DNSConfiguration, rdap: RDAPClient, map: ReverseDNSMap?)
        -> WebServices
    {
        let path = context.databasePath
        let limits = context.limits
        let spf = SharedAuthorizer(resolver: DNSResolver(dns))
        return WebServices(
            upload: { name, bytes, user in
                var out = UploadOutcome()
                do {
                    let importer = Importer(store: try ReportStore(path: path), limits: limits)
                    importer.importBytes(bytes, name: name, origin: "upload:\(user):\(name)")
                    let s = importer.summary
                    out.documents = s.documents
                    out.imported = s.imported
                    out.duplicates = s.duplicates
                    out.failed = s.failed
                    out.ignored = s.ignored
                    out.records = s.records
                    out.messages = s.messages
                    out.failures = s.failures.map { ($0.source, $0.error) }
                } catch {
                    out.documents = 1
                    out.failed = 1
                    out.failures = [(name, "the database cannot be opened")]
                }
                return out
            },
            reparse: { id in
                // The page words the outcome in the user's language.
                do {
                    let importer = Importer(store: try ReportStore(path: path), limits: limits)
                    try importer.reparse(documentID: id)
                    let s = importer.summary
                    return ReparseOutcome(reports: s.reports, records: s.records, error: s.failures.first?.error)
                } catch {
                    return ReparseOutcome(error: "\(error)")
                }
            },
            publishedDMARC: { domain in
                let found = DMARCPolicyFinder(resolver: DNSResolver(dns)).publishedRecordExplained(domain)
                return DNSPublication(record: found.record, problem: found.problem)
            },
            sourceAnalysis: { SourceAnalysis(authorizer: spf.current(), reverseDNSMap: map) },
            networkOwner: { address in
                do {
                    let owner = try rdap.lookup(address)
                    return OwnerLookup(owner: owner.owner, handle: owner.handle, problem: nil)
                } catch {
                    return OwnerLookup(owner: nil, handle: nil, problem: "\(error)")
                }
            })
    }
}

/// One SPF authoriser for every page view, so its cache of SPF records and address lookups
/// serves them all; replaced after `lifetime` seconds, so DNS changes show within minutes.
final class SharedAuthorizer: Sendable {
    private let resolver: DNSResolver
    private let lifetime: Int64
    private let state: Mutex<(created: Int64, authorizer: SPFAuthorizer)>

    init(resolver: DNSResolver, lifetime: Int64 = 600) {
        self.resolver = resolver
        self.lifetime = lifetime
        state = Mutex((Int64(time(nil)), SPFAuthorizer(resolver: resolver)))
    }

    func current() -> SPFAuthorizer {
        let now = Int64(time(nil))
        return state.withLock { s in
            if now - s.created >= lifetime || now < s.created {
                s = (now, SPFAuthorizer(resolver: resolver))
            }
            return s.authorizer
        }
    }
}

/// Fetches every mailbox on a timer, on its own queue and database connection.
final class MailboxPoller: @unchecked Sendable {
    // @unchecked Sendable: `timer` is touched only in start() and stop(); `stopping` is atomic
    // through its Mutex; everything else is immutable.
    private let databasePath: String
    private let limits: IngestLimits
    private let interval: Int
    private let queue = DispatchQueue(label: "dmarcwatch.mailbox-poller")
    private var timer: DispatchSourceTimer?
    private let stopping = Mutex(false)

    init(databasePath: String, limits: IngestLimits, interval: Int) {
        self.databasePath = databasePath
        self.limits = limits
        self.interval = interval
    }

    func start() {
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now(), repeating: .seconds(interval))
        t.setEventHandler { [weak self] in self?.poll() }
        t.resume()
        timer = t
    }

    /// Stops the timer and waits for a run in progress to reach a clean point.
    func stop() {
        stopping.withLock { $0 = true }
        timer?.cancel()
        queue.sync {}
    }

    private func poll() {
        do {
            let store = try ReportStore(path: databasePath)
            let importer = Importer(store: store, limits: limits)
            var fetcher = MailboxFetcher(store: store, importer: importer)
            fetcher.shouldStop = { [weak self] in self?.stopping.withLock { $0 } ?? true }
            for mailbox in try store.mailboxes() {
                if stopping.withLock({ $0 }) { return }
                let run = fetcher.run(mailbox)
                let line = "\(run.mailbox): \(run.fetched) fetched, \(run.reports) with reports, \(run.failed) failed"
                Console.err(sanitized("dmarcwatch serve: \(line)\(run.errors.first.map { "; \($0)" } ?? "")") + "\n")
            }
        } catch {
            Console.err("dmarcwatch serve: mailbox polling: \(error)\n")
        }
    }
}

/// Runs a piece of work on a timer, on its own queue; errors are logged, never fatal.
final class PeriodicJob: @unchecked Sendable {
    // @unchecked Sendable: `timer` is touched only in start() and stop(); the rest is immutable.
    private let queue: DispatchQueue
    private let interval: Int
    private let work: @Sendable () throws -> Void
    private var timer: DispatchSourceTimer?

    init(label: String, interval: Int, work: @escaping @Sendable () throws -> Void) {
        queue = DispatchQueue(label: label)
        self.interval = interval
        self.work = work
    }

    func start() {
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now() + .seconds(5), repeating: .seconds(interval))
        t.setEventHandler { [work, queue] in
            do {
                try work()
            } catch {
                Console.err("dmarcwatch serve: \(queue.label): \(error)\n")
            }
        }
        t.resume()
        timer = t
    }

    /// Stops the timer and waits for a run in progress.
    func stop() {
        timer?.cancel()
        queue.sync {}
    }
}

/// SIGTERM/SIGINT for a clean stop: blocked before any other thread starts (threads inherit
/// the mask, so none takes the default action), then taken with `sigwait`. A signal that comes
/// in between stays pending until then.
struct SignalWatcher {
    private let set: sigset_t

    init(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for s in signals { sigaddset(&set, s) }
        self.set = set
    }

    func block() {
        var set = set
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Waits until one of the signals (blocked with `block`) arrives.
    func wait() {
        var set = set
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
    }
}
