import DMARCCore
import DMARCIngest
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
        summary: "Run the server: HTTP (health probe so far) and mailbox polling",
        usage: """
            Usage: dmarcwatch serve [--listen HOST:PORT] [--poll-interval SECONDS]

            Runs until SIGTERM or SIGINT, then stops cleanly: stops accepting connections, lets the
            mailbox run in progress finish its current message, and exits 0.

              --listen HOST:PORT      IPv4 address and port to listen on (default 127.0.0.1:8080;
                                      port 0 picks a free one, printed at start)
              --poll-interval S       fetch every configured mailbox every S seconds (default 300)

            HTTP: GET /healthz answers without a session. Every other path needs a session or API
            token, which arrive with the web UI; until then they answer 401.

            """,
        options: ["--listen", "--poll-interval"],
        flags: [],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals.isEmpty else { throw UsageError(message: "serve takes no arguments") }
        let listen = args.value("--listen") ?? "127.0.0.1:8080"
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65535).contains(port)
        else { throw UsageError(message: "--listen must be HOST:PORT") }
        let host = String(listen[..<colon])
        var interval = 300
        if let text = args.value("--poll-interval") {
            guard let n = Int(text), n >= 1 else {
                throw UsageError(message: "--poll-interval must be a number of seconds")
            }
            interval = n
        }
        _ = try context.openStore()  // migrations run once, before any thread starts
        let server = HTTPServer(handler: route)
        try server.start(host: host == "localhost" ? "127.0.0.1" : host, port: port)
        Console.out(
            "DMARCWatch listening on http://\(host):\(server.port) (health probe: /healthz); mailboxes polled every \(interval) s\n"
        )
        let poller = MailboxPoller(databasePath: context.databasePath, interval: interval)
        poller.start()
        let signals = SignalWatcher {
            server.stop()
            poller.stop()
            Console.err("dmarcwatch serve: stopped\n")
            exit(0)
        }
        signals.watch([SIGTERM, SIGINT])
        withExtendedLifetime((server, poller, signals)) {
            dispatchMain()
        }
    }

    /// Until the web UI exists: the health probe, and 401 for everything else (DESIGN §8).
    @Sendable static func route(_ request: HTTPRequest) -> HTTPResponse {
        if request.path == "/healthz" && (request.method == "GET" || request.method == "HEAD") {
            return HTTPResponse(status: 200, contentType: "application/json", body: #"{"status":"ok"}"# + "\n")
        }
        var response = HTTPResponse(status: 401, body: "Sign in required.\n")
        response.headers = [("WWW-Authenticate", "Bearer")]
        return response
    }
}

/// Fetches every mailbox on a timer, on its own queue and database connection.
final class MailboxPoller: @unchecked Sendable {
    // @unchecked Sendable: `timer` is touched only in start() and stop(); `stopping` is atomic
    // through its Mutex; everything else is immutable.
    private let databasePath: String
    private let interval: Int
    private let queue = DispatchQueue(label: "dmarcwatch.mailbox-poller")
    private var timer: DispatchSourceTimer?
    private let stopping = Mutex(false)

    init(databasePath: String, interval: Int) {
        self.databasePath = databasePath
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
            let importer = Importer(store: store)
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

/// Delivers SIGTERM/SIGINT to a handler on its own queue (signals ignored first, so the default
/// action does not kill the process before the handler runs).
final class SignalWatcher: @unchecked Sendable {
    // @unchecked Sendable: sources are created once in watch() and kept alive, never mutated.
    private let queue = DispatchQueue(label: "dmarcwatch.signals")
    private var sources: [DispatchSourceSignal] = []
    private let handler: @Sendable () -> Void

    init(handler: @escaping @Sendable () -> Void) { self.handler = handler }

    func watch(_ signals: [Int32]) {
        for s in signals {
            signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: queue)
            source.setEventHandler { [handler] in handler() }
            source.resume()
            sources.append(source)
        }
    }
}
