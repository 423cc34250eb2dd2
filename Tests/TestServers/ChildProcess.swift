import Foundation

/// A server process started with posix_spawn, not Foundation's `Process`: daemons such as
/// dnsmasq close every inherited descriptor at start, which Foundation on Linux takes for the
/// child's exit, blocking its monitor thread in wait4 and with it every later `Process`.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `pid` is set once in init; `reaped` only in wait paths under `lock`.
    public let pid: pid_t
    private var reaped = false
    private let lock = NSLock()

    /// Starts `path` with `arguments`; standard output and error go to `logPath` (or /dev/null).
    public init(_ path: String, _ arguments: [String], logPath: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let log = logPath ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, path, &actions, nil, argv, environ)
        guard status == 0 else {
            throw TestServerUnavailable("cannot start \(path): \(String(cString: strerror(status)))")
        }
        pid = child
    }

    /// Whether the process is still running (reaps it if it has exited).
    public var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        if reaped { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            reaped = true
            return false
        }
        return true
    }

    /// Sends `signal` and waits for the process to end.
    public func stop(_ signal: Int32 = SIGKILL) {
        lock.lock()
        defer { lock.unlock() }
        guard !reaped else { return }
        kill(pid, signal)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        reaped = true
    }

    deinit { stop() }
}

/// A tiny HTTP/1.0 file server on loopback, for clients under test (RDAP): GET /PATH answers
/// the bytes registered for PATH with 200, anything else 404.
public final class StaticHTTPServer: @unchecked Sendable {
    // @unchecked: `files` is immutable; the socket is closed once in deinit.
    public let port: Int
    private let fd: Int32
    private let files: [String: [UInt8]]
    private let thread: Thread

    public init(files: [String: String], contentType: String = "application/json") {
        self.files = files.mapValues { Array($0.utf8) }
        (fd, port) = LoopbackPort.bound(type: SOCK_STREAM)
        listen(fd, 16)
        let listener = fd
        let table = self.files
        thread = Thread {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                var request: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !request.contains(10) || !String(decoding: request, as: UTF8.self).contains("\r\n\r\n") {
                    let n = read(client, &buffer, buffer.count)
                    if n <= 0 { break }
                    request += buffer[0..<n]
                }
                let line = String(decoding: request, as: UTF8.self).split(separator: "\r\n").first ?? ""
                let path = line.split(separator: " ").dropFirst().first.map(String.init) ?? ""
                let body = table[path]
                var head = body == nil ? "HTTP/1.0 404 Not Found\r\n" : "HTTP/1.0 200 OK\r\n"
                head +=
                    "Content-Type: \(contentType)\r\nContent-Length: \(body?.count ?? 0)\r\nConnection: close\r\n\r\n"
                let answer = Array(head.utf8) + (body ?? [])
                _ = answer.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                close(client)
            }
        }
        thread.start()
    }

    deinit {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
