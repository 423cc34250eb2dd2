import DMARCCore
import Foundation
import TestServers
import Testing

@testable import DMARCEnrich
@testable import DMARCNet

@Suite("Reverse DNS with forward confirmation against dnsmasq", .serialized)
struct ReverseDNSTests {
    static let zone = [
        "local=/in-addr.arpa/",
        "local=/ip6.arpa/",
        "ptr-record=10.2.0.192.in-addr.arpa,mail-a1.outbound.example.test",
        "host-record=mail-a1.outbound.example.test,192.0.2.10",
        // A PTR that does not resolve back: not forward-confirmed.
        "ptr-record=11.2.0.192.in-addr.arpa,spoofed.example.test",
        "host-record=spoofed.example.test,198.51.100.99",
        // IPv6.
        "ptr-record=1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa,v6.outbound.example.test",
        "host-record=v6.outbound.example.test,2001:db8::1",
    ]

    let server: DNSTestServer
    let lookup: ReverseDNSLookup

    init() throws {
        server = try DNSTestServer(zone: Self.zone)
        lookup = ReverseDNSLookup(
            resolver: DNSResolver(try DNSConfiguration(nameserver: server.nameserver, timeout: 2)), concurrency: 16)
    }

    @Test("PTR, forward confirmation and base domain")
    func single() {
        let good = lookup.lookup("192.0.2.10")
        #expect(good.ptr == "mail-a1.outbound.example.test")
        #expect(good.forwardConfirmed)
        #expect(good.baseDomain == "example.test")
        let spoofed = lookup.lookup("192.0.2.11")
        #expect(spoofed.ptr == "spoofed.example.test")
        #expect(!spoofed.forwardConfirmed)
        let none = lookup.lookup("192.0.2.12")
        #expect(none.ptr == nil && none.problem == nil)
        let v6 = lookup.lookup("2001:db8::1")
        #expect(v6.ptr == "v6.outbound.example.test")
        #expect(v6.forwardConfirmed)
    }

    @Test("Many addresses: every one answered, in order, with bounded concurrency")
    func many() {
        let addresses = (0..<500).map { "198.18.\($0 / 256).\($0 % 256)" } + ["192.0.2.10"]
        let results = lookup.lookup(addresses)
        #expect(results.count == addresses.count)
        #expect(results.map(\.ip) == addresses)
        #expect(results.last?.forwardConfirmed == true)
        #expect(
            results.dropLast().allSatisfy { $0.ptr == nil && $0.problem == nil },
            "\(results.compactMap(\.problem).prefix(3)) \(results.filter { $0.problem != nil }.count)")
    }
}
