import DMARCCore
import Foundation
import TestServers
import Testing

@testable import DMARCNet

@Suite("DNS resolver against dnsmasq on loopback", .serialized)
struct DNSResolverTests {
    static let zone = [
        #"txt-record=_dmarc.example.test,"v=DMARC1; p=reject; ","rua=mailto:d@example.test""#,
        #"txt-record=example.test,"v=spf1 -all""#,
        "cname=selector1._domainkey.example.test,selector1._domainkey.esp.test",
        #"txt-record=selector1._domainkey.esp.test,"v=DKIM1; p=""#,
        "mx-host=example.test,mail2.example.test,20",
        "mx-host=example.test,mail.example.test,10",
        "host-record=mail.example.test,192.0.2.10,2001:db8::10",
        "ptr-record=10.2.0.192.in-addr.arpa,mail.example.test",
    ]

    let server: DNSTestServer
    let resolver: DNSResolver

    init() throws {
        server = try DNSTestServer(zone: Self.zone)
        resolver = DNSResolver(try DNSConfiguration(nameserver: server.nameserver, timeout: 2))
    }

    @Test("Multi-string TXT records are joined without separator")
    func txtJoined() {
        #expect(resolver.txt("_dmarc.example.test").value == ["v=DMARC1; p=reject; rua=mailto:d@example.test"])
    }

    @Test("CNAME chains are followed and reported")
    func cname() {
        #expect(resolver.txt("selector1._domainkey.example.test").value == ["v=DKIM1; p="])
        #expect(resolver.cnameChain("selector1._domainkey.example.test") == ["selector1._domainkey.esp.test"])
    }

    @Test("NXDOMAIN and no-data are told apart")
    func emptiness() {
        guard case .nxdomain = resolver.txt("missing.example.test") else {
            Issue.record("expected NXDOMAIN")
            return
        }
        guard case .noData = resolver.txt("mail.example.test") else {
            Issue.record("expected no data")
            return
        }
    }

    @Test("A, AAAA, MX in preference order, PTR")
    func addresses() {
        #expect(resolver.ipv4("mail.example.test").value == ["192.0.2.10"])
        #expect(resolver.ipv6("mail.example.test").value == ["2001:db8::10"])
        #expect(resolver.mx("example.test").value?.map(\.exchange) == ["mail.example.test", "mail2.example.test"])
        #expect(resolver.ptr(IPAddress("192.0.2.10")!).value == ["mail.example.test"])
    }

    @Test("A refused question is a server failure, not an answer")
    func refused() {
        guard case .serverFailure(let rcode) = resolver.txt("example.com") else {
            Issue.record("expected refusal")
            return
        }
        #expect(rcode == 5)
    }

    @Test("A silent server gives a timeout, promptly")
    func timeout() throws {
        let silent = SilentDNSServer()
        let slow = DNSResolver(DNSConfiguration(server: "127.0.0.1", port: silent.port, timeout: 1, tries: 1))
        let start = Date()
        guard case .timeout = slow.txt("example.test") else {
            Issue.record("expected a timeout")
            return
        }
        #expect(Date().timeIntervalSince(start) < 10)
    }

    @Test("Nothing listening gives a clear failure")
    func unreachable() {
        let port = DNSTestServer.freePort()
        let nobody = DNSResolver(DNSConfiguration(server: "127.0.0.1", port: port, timeout: 1, tries: 1))
        switch nobody.txt("example.test") {
        case .failure(let why): #expect(why.contains("refused") || why.contains("nothing listening"))
        case .timeout: break  // some kernels drop instead of refusing; still no hang
        default: Issue.record("expected a failure")
        }
    }

    @Test("--nameserver parsing")
    func nameserverParsing() throws {
        #expect(try DNSConfiguration(nameserver: "127.0.0.1:5353").port == 5353)
        #expect(try DNSConfiguration(nameserver: "localhost").server == "127.0.0.1")
        #expect(throws: DNSConfigurationError.self) { try DNSConfiguration(nameserver: "ns.example.com") }
        #expect(throws: DNSConfigurationError.self) { try DNSConfiguration(nameserver: "127.0.0.1:99999") }
    }
}
