import Foundation

/// A real DNS server (dnsmasq) on loopback, serving the zone lines given, started per suite.
/// Names under `.test` it does not know get NXDOMAIN; other names are refused.
public final class DNSTestServer: @unchecked Sendable {
    // @unchecked: the process handle is written once in init and only read afterwards.
    public let port: Int
    private let process: ChildProcess
    private let directory: String

    static var dnsmasqPath: String? {
        ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public init(zone: [String]) throws {
        guard let binary = Self.dnsmasqPath else {
            throw TestServerUnavailable("dnsmasq is not installed (make test installs it)")
        }
        directory = NSTemporaryDirectory() + "dmarcwatch-dns-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = "\(directory)/dnsmasq.conf"
        // No query log: dnsmasq writes it to stderr, and an unread pipe would stall the server.
        let lines = ["no-resolv", "no-hosts", "local=/test/"] + zone
        try lines.joined(separator: "\n").appending("\n").write(toFile: config, atomically: true, encoding: .utf8)
        var lastError = ""
        for _ in 0..<5 {
            let port = Self.freePort()
            let logPath = "\(directory)/dnsmasq.log"
            let p = try ChildProcess(
                binary,
                [
                    "--no-daemon", "--conf-file=\(config)", "--port=\(port)", "--listen-address=127.0.0.1",
                    "--bind-interfaces", "--user=root", "--pid-file=\(directory)/pid",
                ], logPath: logPath)
            // Wait until it answers (or dies).
            for _ in 0..<50 {
                if !p.isRunning { break }
                if Self.answers(port: port) {
                    self.port = port
                    self.process = p
                    return
                }
                usleep(100_000)
            }
            p.stop()
            lastError = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        }
        throw TestServerUnavailable("dnsmasq did not start: \(lastError)")
    }

    deinit {
        process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    public var nameserver: String { "127.0.0.1:\(port)" }

    /// A UDP port on loopback that nothing uses right now.
    public static func freePort() -> Int { LoopbackPort.free(type: SOCK_DGRAM) }

    /// Sends a tiny query for `probe.test` and waits briefly for any answer.
    static func answers(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let query: [UInt8] =
            [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5] + Array("probe".utf8) + [4] + Array("test".utf8) + [
                0, 0, 1, 0, 1,
            ]
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, query, query.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&pfd, 1, 200) == 1
    }
}

/// A UDP socket on loopback that never answers: a nameserver that times out.
public final class SilentDNSServer: @unchecked Sendable {
    // @unchecked: the descriptor is set once in init.
    let fd: Int32
    public let port: Int

    public init() {
        (fd, port) = LoopbackPort.bound(type: SOCK_DGRAM)
    }

    deinit { close(fd) }
}

/// A test server could not start because a tool is missing or failed; the message says which.
public struct TestServerUnavailable: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Free loopback ports.
public enum LoopbackPort {
    /// A port of the given socket type that nothing is bound to right now.
    public static func free(type: __socket_type) -> Int {
        let (fd, port) = bound(type: type)
        close(fd)
        return port
    }

    /// A socket bound to a free loopback port, and that port; the caller closes the socket.
    static func bound(type: __socket_type) -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(type.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }
}
