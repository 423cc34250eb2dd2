import Foundation
import TestServers
import Testing

/// `serve` as a process: the health probe, 401 elsewhere, mailbox polling, clean stop on SIGTERM.
@Suite("dmarcwatch serve", .serialized)
struct ServeTests {
    let dir: String
    var db: String { "\(dir)/serve.sqlite3" }

    init() throws {
        dir = try CLI.temporaryDirectory()
    }

    /// A minimal HTTP/1.0 GET over a socket; returns the status code and body.
    static func get(port: Int, path: String) -> (Int, String)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard ok == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let status = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }

    @Test("serve answers /healthz, refuses the rest without a session, polls mailboxes, stops on SIGTERM")
    func serve() throws {
        let report = try Data(
            contentsOf: URL(fileURLWithPath: "\(CLI.fixtures)/corpus/parsedmarc-samples/aggregate/twilight.eml"))
        let server = try IMAPTestServer(messages: [("report", report)])
        try server.password.write(toFile: "\(dir)/pw", atomically: true, encoding: .utf8)
        #expect(
            try CLI.run([
                "--db", db, "mailbox", "add", "--url", server.url, "--user", server.user, "--password-file",
                "\(dir)/pw",
                "--insecure-plaintext", "--done-folder", "Done",
            ]).status == 0)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["--db", db, "serve", "--listen", "127.0.0.1:0", "--poll-interval", "1"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // The first line says where it listens.
        var line = ""
        while !line.contains("\n") {
            let data = out.fileHandleForReading.availableData
            if data.isEmpty { break }
            line += String(decoding: data, as: UTF8.self)
        }
        let port = try #require(
            line.split(separator: ":").compactMap { Int($0.prefix { $0.isNumber }) }.first { $0 > 0 })

        let health = try #require(Self.get(port: port, path: "/healthz"))
        #expect(health.0 == 200)
        #expect(health.1.contains("ok"))
        #expect(Self.get(port: port, path: "/")?.0 == 401)
        #expect(Self.get(port: port, path: "/api/v1/reports")?.0 == 401)

        // The poller moves the report to Done within a few intervals.
        var waited = 0.0
        while server.count("Done") < 1 && waited < 15 {
            Thread.sleep(forTimeInterval: 0.2)
            waited += 0.2
        }
        #expect(server.count("Done") == 1)

        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        let reports = try CLI.run(["--db", db, "reports", "--json"])
        #expect((reports.json as? [Any])?.count == 1)
    }
}
