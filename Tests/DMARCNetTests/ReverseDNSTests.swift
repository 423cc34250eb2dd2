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
        // A PTR whose name this server refuses to resolve: the forward check cannot conclude.
        "ptr-record=13.2.0.192.in-addr.arpa,mail.outside.example",
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

    @Test("a forward lookup that fails is a temporary problem, not 'not forward-confirmed'")
    func forwardFailure() {
        let r = lookup.lookup("192.0.2.13")
        #expect(r.ptr == "mail.outside.example")
        #expect(!r.forwardConfirmed)
        // The store keeps results with a problem for an hour instead of a week.
        #expect(r.problem?.contains("forward lookup of mail.outside.example") == true)
        // A forward answer without the address is a definite "no", with no problem.
        #expect(lookup.lookup("192.0.2.11").problem == nil)
    }

    @Test("batches arrive as lookups complete, each full but the last, every address once")
    func batches() {
        let addresses = (0..<50).map { "198.18.9.\($0)" } + ["192.0.2.10"]
        var sizes: [Int] = []
        var seen: [String] = []
        lookup.lookup(addresses, batch: 8) { batch in
            sizes.append(batch.count)
            seen += batch.map(\.ip)
        }
        #expect(sizes == Array(repeating: 8, count: 6) + [3])
        #expect(seen.sorted() == addresses.sorted())
        // A handler that throws stops the run and the error comes back.
        struct Stop: Error {}
        var calls = 0
        #expect(throws: Stop.self) {
            try lookup.lookup(addresses, batch: 8) { _ in
                calls += 1
                throw Stop()
            }
        }
        #expect(calls == 1)
    }
}
