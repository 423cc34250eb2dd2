import Foundation

/// A headless Chromium with one page, driven through the Chrome DevTools Protocol over
/// `--remote-debugging-pipe`, for browser tests of the web UI. Calls are serialized; one test
/// should drive a browser at a time.
public final class HeadlessBrowser: @unchecked Sendable {
    // @unchecked: the mutable state below is touched only with `lock` held.
    private let lock = NSLock()
    private let pid: pid_t
    private let directory: String
    /// Our end of Chromium's fd 3 (commands in).
    private let commandFD: Int32
    /// Our end of Chromium's fd 4 (answers and events out).
    private let eventFD: Int32
    private let commandTimeout: Double = 30
    private var sessionId = ""
    private var lastId = 0
    private var buffer: [UInt8] = []
    private var scanned = 0
    private var events: [[String: Any]] = []
    private var exitStatus: Int32?
    private var closed = false

    static var chromiumPath: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = ["/usr/bin/chromium"] + path.split(separator: ":").map { "\($0)/chromium" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts Chromium headless with a fresh profile, opens one page and attaches to it. The page's
    /// viewport is `windowWidth` × `windowHeight`, and it asks for and formats in `language` (a tag
    /// like "ja", or a list like "de-CH,de").
    /// Throws `TestServerUnavailable` when Chromium is not installed.
    public init(language: String = "en-US", windowWidth: Int = 1280, windowHeight: Int = 900) throws {
        guard let binary = Self.chromiumPath else {
            throw TestServerUnavailable("chromium is not installed (make test installs it)")
        }
        directory = NSTemporaryDirectory() + "dmarcwatch-chromium-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: "\(directory)/profile", withIntermediateDirectories: true)
        // `language` may be a list ("de-CH,de", no q-values: Chromium adds them); locales take the first.
        let locale = String(language.prefix { $0 != "," })
        let arguments = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
            "--user-data-dir=\(directory)/profile", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--window-size=\(windowWidth),\(windowHeight)", "--lang=\(locale)",
            "--hide-scrollbars", "about:blank",
        ]
        do {
            (pid, commandFD, eventFD) = try Self.spawn(arguments, directory: directory)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        do {
            let target = try command("Target.createTarget", ["url": "about:blank"], session: nil)
            guard let targetId = target["targetId"] as? String else {
                throw HeadlessBrowserError("Target.createTarget returned no targetId")
            }
            let attached = try command(
                "Target.attachToTarget", ["targetId": targetId, "flatten": true], session: nil)
            guard let session = attached["sessionId"] as? String else {
                throw HeadlessBrowserError("Target.attachToTarget returned no sessionId")
            }
            sessionId = session
            _ = try command("Page.enable")
            // Headless Chromium leaves the browser UI's height out of the viewport; emulated, it is exact.
            _ = try command(
                "Emulation.setDeviceMetricsOverride",
                ["width": windowWidth, "height": windowHeight, "deviceScaleFactor": 1, "mobile": false])
            // --lang reaches neither requests nor scripts in headless Chromium. The extra header and the
            // user-agent override (empty: agent unchanged) both set Accept-Language, the latter also
            // navigator.languages; the locale override sets Intl's locale.
            _ = try command("Network.enable")
            _ = try command("Network.setExtraHTTPHeaders", ["headers": ["Accept-Language": language]])
            _ = try command("Emulation.setUserAgentOverride", ["userAgent": "", "acceptLanguage": language])
            _ = try command("Emulation.setLocaleOverride", ["locale": locale])
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Loads `url` and waits for the page's load event; throws if the page cannot be loaded or
    /// `timeout` seconds pass.
    public func navigate(to url: String, timeout: Double = 20) throws {
        try locked {
            let deadline = Date(timeIntervalSinceNow: timeout)
            try discardEvents("Page.loadEventFired")
            let result = try command("Page.navigate", ["url": url], timeout: timeout)
            if let error = result["errorText"] as? String, !error.isEmpty {
                throw HeadlessBrowserError("navigation to \(url) failed: \(error)")
            }
            _ = try nextEvent("Page.loadEventFired", timeout: max(deadline.timeIntervalSinceNow, 0))
        }
    }

    /// Evaluates `expression` in the page (awaiting a promise result) and returns the value as JSON:
    /// a JS string "abc" comes back as `"abc"` with the quotes, `undefined` as `null`. Values JSON
    /// cannot hold (NaN, Infinity, -0, BigInt) come back as their JS spelling. Throws if the script threw
    /// or its promise is not settled within 30 s.
    public func evaluate(_ expression: String) throws -> String {
        try locked {
            let remote = try runScript(expression, awaitPromise: true)
            if let unserializable = remote["unserializableValue"] as? String { return unserializable }
            guard let value = remote["value"] else { return "null" }
            let data = try JSONSerialization.data(
                withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes])
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// Evaluates `expression` like `evaluate(_:)`; returns its value if it is a string, else nil.
    public func evaluateString(_ expression: String) throws -> String? {
        try locked {
            let remote = try runScript(expression, awaitPromise: true)
            return remote["type"] as? String == "string" ? remote["value"] as? String : nil
        }
    }

    /// Runs `expression`, which should start a navigation (a form submit, a link click), and waits
    /// for the next page's load event. A promise the expression returns is not awaited.
    public func evaluateAndWaitForLoad(_ expression: String, timeout: Double = 20) throws {
        try locked {
            try discardEvents("Page.loadEventFired")
            _ = try runScript(expression, awaitPromise: false)
            _ = try nextEvent("Page.loadEventFired", timeout: timeout)
        }
    }

    /// Writes a PNG of the whole page (not just the viewport) to `path`, creating its directory.
    public func screenshot(to path: String) throws {
        try locked {
            let result = try command("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true])
            guard let base64 = result["data"] as? String, let png = Data(base64Encoded: base64) else {
                throw HeadlessBrowserError("Page.captureScreenshot returned no image")
            }
            let url = URL(fileURLWithPath: path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try png.write(to: url)
        }
    }

    /// Emulates a screen of `width` × `height` CSS pixels (scale 1); `mobile` also emulates a
    /// phone's handling of the viewport meta tag, and a touch screen.
    public func setViewport(width: Int, height: Int, mobile: Bool) throws {
        try locked {
            _ = try command(
                "Emulation.setDeviceMetricsOverride",
                ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile])
            _ = try command("Emulation.setTouchEmulationEnabled", ["enabled": mobile])
        }
    }

    /// Sends a DevTools command to the page and returns its result, for what the methods above
    /// do not cover (e.g. `Network.setCookie`).
    public func send(_ method: String, _ params: [String: Any] = [:]) throws -> [String: Any] {
        try locked { try command(method, params) }
    }

    /// Waits for the page event `method` (one already received and not yet waited for counts)
    /// and returns its params.
    public func waitForEvent(_ method: String, timeout: Double = 20) throws -> [String: Any] {
        try locked {
            let event = try nextEvent(method, timeout: timeout)
            return event["params"] as? [String: Any] ?? [:]
        }
    }

    /// Closes the browser, ends its processes and removes its profile. Safe to call again.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        if closed { return }
        closed = true
        // Asked to close, Chromium ends its helpers itself. Its exit is the answer to wait for: the
        // reply to Browser.close may never come.
        if exitStatus == nil, (try? write(["id": lastId + 1, "method": "Browser.close"])) != nil {
            _ = reap(within: 5)
        }
        // What still runs of its process group (Chromium hung, or left helpers) is killed.
        kill(-pid, SIGKILL)
        if exitStatus == nil {
            kill(pid, SIGKILL)
            _ = reap(within: 5)
        }
        Glibc.close(commandFD)
        Glibc.close(eventFD)
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: - Protocol

    private func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        if closed { throw HeadlessBrowserError("the browser is closed") }
        return try body()
    }

    private func runScript(_ expression: String, awaitPromise: Bool) throws -> [String: Any] {
        let result = try command(
            "Runtime.evaluate",
            ["expression": expression, "returnByValue": true, "awaitPromise": awaitPromise])
        if let details = result["exceptionDetails"] as? [String: Any] {
            let exception = details["exception"] as? [String: Any]
            let text = exception?["description"] as? String ?? details["text"] as? String ?? "exception"
            throw HeadlessBrowserError("script threw: \(text)")
        }
        return result["result"] as? [String: Any] ?? [:]
    }

    /// Sends `method` to the page session (or to the browser with `session` nil) and waits for its answer.
    private func command(
        _ method: String, _ params: [String: Any] = [:], session: String? = "", timeout: Double? = nil
    ) throws -> [String: Any] {
        lastId += 1
        let id = lastId
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if let session { message["sessionId"] = session.isEmpty ? sessionId : session }
        try write(message)
        let answer = try read(within: timeout ?? commandTimeout, waitingFor: method) {
            $0["id"] as? Int == id
        }
        if let error = answer["error"] as? [String: Any] {
            let text = [error["message"], error["data"]].compactMap { $0 as? String }.joined(separator: ": ")
            throw HeadlessBrowserError("\(method) failed: \(text)")
        }
        return answer["result"] as? [String: Any] ?? [:]
    }

    private func nextEvent(_ method: String, timeout: Double) throws -> [String: Any] {
        let matches = { (message: [String: Any]) in
            message["method"] as? String == method && message["sessionId"] as? String == self.sessionId
        }
        if let index = events.firstIndex(where: matches) { return events.remove(at: index) }
        return try read(within: timeout, waitingFor: method, matches)
    }

    /// Forgets `method` events of the page sent so far, so a wait after the next command sees a new one.
    private func discardEvents(_ method: String) throws {
        // What Chromium has sent but we have not read yet (after a timeout, say) is old too.
        var pfd = pollfd(fd: eventFD, events: Int16(POLLIN), revents: 0)
        while poll(&pfd, 1, 0) > 0 { try readChunk(waitingFor: "old events") }
        while let message = nextMessage() { keep(message) }
        events.removeAll { $0["method"] as? String == method && $0["sessionId"] as? String == sessionId }
    }

    private func write(_ message: [String: Any]) throws {
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        var offset = 0
        while offset < bytes.count {
            // MSG_NOSIGNAL: a dead Chromium gives EPIPE here rather than a SIGPIPE ending the tests.
            let n = bytes[offset...].withUnsafeBytes {
                Glibc.send(commandFD, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw exitError("sending \(message["method"] ?? "")")
            }
            offset += n
        }
    }

    /// Reads messages until one satisfies `matches` and returns it; the others go to `keep`.
    private func read(
        within timeout: Double, waitingFor what: String, _ matches: ([String: Any]) -> Bool
    ) throws -> [String: Any] {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            while let message = nextMessage() {
                if matches(message) { return message }
                keep(message)
            }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                throw HeadlessBrowserError("timed out after \(String(format: "%g", timeout)) s waiting for \(what)")
            }
            var pfd = pollfd(fd: eventFD, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(min(remaining * 1000 + 1, 60_000)))
            if ready < 0 && errno != EINTR { throw HeadlessBrowserError("poll: \(String(cString: strerror(errno)))") }
            if ready > 0 { try readChunk(waitingFor: what) }
        }
    }

    /// Reads what is there (at least a byte) into the buffer; throws if Chromium has gone.
    private func readChunk(waitingFor what: String) throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { Glibc.read(eventFD, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { return }
        if n <= 0 { throw exitError("waiting for \(what)") }
        buffer.append(contentsOf: chunk[..<n])
    }

    /// Queues an event for `nextEvent`; answers nobody waits for any more (after a timeout) are dropped.
    private func keep(_ message: [String: Any]) {
        guard message["method"] != nil else { return }
        events.append(message)
        // Network events pile up unread; only recent ones can matter.
        if events.count > 1000 { events.removeFirst(events.count - 1000) }
    }

    /// The next complete (NUL-terminated) message in the buffer, parsed; unparsable ones are skipped.
    private func nextMessage() -> [String: Any]? {
        while let end = buffer[scanned...].firstIndex(of: 0) {
            let bytes = Data(buffer[..<end])
            buffer.removeSubrange(...end)
            scanned = 0
            if let message = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] { return message }
        }
        scanned = buffer.count
        return nil
    }

    // MARK: - Process

    /// An error for Chromium having gone away: its exit status and the end of its log.
    private func exitError(_ context: String) -> HeadlessBrowserError {
        let status = reap(within: 2).map { status in
            status & 0x7f == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
        }
        let log = (try? String(contentsOfFile: "\(directory)/chromium.log", encoding: .utf8)) ?? ""
        // Without a D-Bus (containers) Chromium logs many errors about it that would hide the cause.
        let tail = log.split(separator: "\n").filter { !$0.contains("dbus") }.suffix(10).joined(separator: "\n")
        return HeadlessBrowserError(
            "chromium \(status ?? "closed its pipe") (\(context))" + (tail.isEmpty ? "" : "; its log ends:\n\(tail)"))
    }

    /// Waits up to `seconds` for Chromium to exit and returns its wait status, or nil if it still runs.
    private func reap(within seconds: Double) -> Int32? {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while exitStatus == nil {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno == ECHILD) {
                exitStatus = status
            } else if Date() >= deadline {
                break
            } else {
                usleep(20_000)
            }
        }
        return exitStatus
    }

    /// Starts `arguments` with socket ends on fds 3 and 4, output to chromium.log and temporary files
    /// in `directory`, in its own process group so `close` can end all of its helpers. Returns the
    /// pid and our ends (write, read).
    private static func spawn(_ arguments: [String], directory: String) throws -> (pid_t, Int32, Int32) {
        // Sockets rather than pipes so writing to a dead Chromium can be kept from raising SIGPIPE.
        let commands = try socketPair()
        let answers: (ours: Int32, theirs: Int32)
        do { answers = try socketPair() } catch {
            Glibc.close(commands.ours)
            Glibc.close(commands.theirs)
            throw error
        }
        defer {
            Glibc.close(commands.theirs)
            Glibc.close(answers.theirs)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "\(directory)/chromium.log", O_WRONLY | O_CREAT, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_adddup2(&actions, commands.theirs, 3)
        posix_spawn_file_actions_adddup2(&actions, answers.theirs, 4)
        // Descriptors of the test process (servers' sockets) must not live on in Chromium. glibc has
        // the call that closes them (2.34+), but Swift does not see it (_GNU_SOURCE only).
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let closeFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(closeFrom, to: CloseFrom.self)(&actions, 5)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        sigaddset(&signals, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        // TMPDIR: what Chromium leaves in the temporary directory when killed goes with ours.
        var environment = ProcessInfo.processInfo.environment
        environment["TMPDIR"] = directory
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0)=\($1)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard result == 0 else {
            Glibc.close(commands.ours)
            Glibc.close(answers.ours)
            throw HeadlessBrowserError("could not start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        return (pid, commands.ours, answers.ours)
    }

    /// A connected socket pair, both close-on-exec and numbered 5 or above, so the dup2 onto 3 and 4
    /// in the child cannot overwrite one of them.
    private static func socketPair() throws -> (ours: Int32, theirs: Int32) {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw HeadlessBrowserError("socketpair: \(String(cString: strerror(errno)))")
        }
        let high = fds.map { fd -> Int32 in
            guard fd < 5 else { return fd }
            let moved = fcntl(fd, F_DUPFD_CLOEXEC, 5)
            Glibc.close(fd)
            return moved
        }
        return (high[0], high[1])
    }
}

/// A failure driving the headless browser: a DevTools error, a timeout, or Chromium exiting.
public struct HeadlessBrowserError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
