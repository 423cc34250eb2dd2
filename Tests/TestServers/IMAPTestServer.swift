import Foundation

/// A real IMAP server (dovecot) on loopback with one user whose Maildir the test fills before the
/// server starts. Plain-text IMAP on loopback only.
public final class IMAPTestServer: @unchecked Sendable {
    // @unchecked: every stored property is set once in init.
    public let port: Int
    /// The implicit-TLS (imaps) port when started with `tls`, else 0.
    public let tlsPort: Int
    public let directory: String
    public let user = "reports"
    public let password = "s3cret-\(UUID().uuidString.prefix(8))"
    private let process: Process

    public var maildir: String { "\(directory)/mail/\(user)" }

    static var dovecotPath: String? {
        ["/usr/sbin/dovecot"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The self-signed certificate (for 127.0.0.1) when started with `tls`.
    public var certificate: String { "\(directory)/cert.pem" }

    /// Starts dovecot with `messages` (name → bytes) in the user's INBOX. With `tls`, the server
    /// requires STARTTLS on `port`, offers implicit TLS on `tlsPort`, and uses a fresh self-signed
    /// certificate for 127.0.0.1.
    public init(messages: [(String, Data)], tls: Bool = false) throws {
        guard let binary = Self.dovecotPath else {
            throw TestServerUnavailable("dovecot is not installed (make test installs it)")
        }
        directory = NSTemporaryDirectory() + "dmarcwatch-imap-\(UUID().uuidString)"
        let fm = FileManager.default
        for sub in ["run", "state", "mail/\(user)/new", "mail/\(user)/cur", "mail/\(user)/tmp"] {
            try fm.createDirectory(atPath: "\(directory)/\(sub)", withIntermediateDirectories: true)
        }
        for (i, (name, data)) in messages.enumerated() {
            try data.write(to: URL(fileURLWithPath: "\(directory)/mail/\(user)/new/\(1000 + i).\(name)"))
        }
        try "\(user):{PLAIN}\(password)\n".write(toFile: "\(directory)/users", atomically: true, encoding: .utf8)
        // Mail is owned by nobody: dovecot refuses to run mail processes as root.
        _ = try? Process.run(
            URL(fileURLWithPath: "/bin/chown"), arguments: ["-R", "nobody:nogroup", "\(directory)/mail"]
        ).waitUntilExit()
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
        if tls {
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            openssl.arguments = [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "\(directory)/key.pem", "-out",
                "\(directory)/cert.pem",
                "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            ]
            openssl.standardOutput = FileHandle.nullDevice
            openssl.standardError = FileHandle.nullDevice
            try openssl.run()
            openssl.waitUntilExit()
            guard openssl.terminationStatus == 0 else {
                throw TestServerUnavailable("openssl could not make a certificate")
            }
        }
        var lastLog = ""
        for _ in 0..<5 {
            let port = Self.freeTCPPort()
            let tlsPort = tls ? Self.freeTCPPort() : 0
            let sslSettings =
                tls
                ? "ssl = required\nssl_cert = <\(directory)/cert.pem\nssl_key = <\(directory)/key.pem\ndisable_plaintext_auth = yes"
                : "ssl = no\ndisable_plaintext_auth = no"
            let config = """
                protocols = imap
                listen = 127.0.0.1
                base_dir = \(directory)/run
                state_dir = \(directory)/state
                log_path = \(directory)/dovecot.log
                \(sslSettings)
                auth_mechanisms = plain login
                mail_location = maildir:\(directory)/mail/%u
                mail_uid = nobody
                mail_gid = nogroup
                first_valid_uid = 1
                passdb {
                  driver = passwd-file
                  args = scheme=PLAIN username_format=%u \(directory)/users
                }
                userdb {
                  driver = static
                  args = uid=nobody gid=nogroup home=\(directory)/mail/%u
                }
                service imap-login {
                  chroot =
                  inet_listener imap {
                    address = 127.0.0.1
                    port = \(port)
                  }
                  inet_listener imaps {
                    address = 127.0.0.1
                    port = \(tlsPort)
                  }
                }
                service anvil {
                  chroot =
                }
                namespace inbox {
                  inbox = yes
                  separator = /
                }

                """
            try config.write(toFile: "\(directory)/dovecot.conf", atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["-F", "-c", "\(directory)/dovecot.conf"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            for _ in 0..<50 {
                if Self.accepts(port: port) && (!tls || Self.accepts(port: tlsPort)) {
                    self.port = port
                    self.tlsPort = tlsPort
                    self.process = p
                    return
                }
                if !p.isRunning { break }
                usleep(100_000)
            }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            lastLog = (try? String(contentsOfFile: "\(directory)/dovecot.log", encoding: .utf8)) ?? ""
        }
        throw TestServerUnavailable("dovecot did not start: \(lastLog.suffix(500))")
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // dovecot's children (imap-login, auth) exit when the master goes.
        try? FileManager.default.removeItem(atPath: directory)
    }

    public var url: String { "imap://127.0.0.1:\(port)/INBOX" }

    /// Message files in a folder ("" for INBOX), new and cur.
    public func count(_ folder: String) -> Int {
        let base = folder.isEmpty ? maildir : "\(maildir)/.\(folder)"
        return ["new", "cur"].reduce(0) { n, sub in
            n + ((try? FileManager.default.contentsOfDirectory(atPath: "\(base)/\(sub)"))?.count ?? 0)
        }
    }

    /// A TCP port on loopback that nothing uses right now.
    public static func freeTCPPort() -> Int { LoopbackPort.free(type: SOCK_STREAM) }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        } == 0
    }
}
