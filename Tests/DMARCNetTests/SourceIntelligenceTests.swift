import DMARCCore
import Foundation
import TestServers
import Testing

@testable import DMARCEnrich
@testable import DMARCNet

@Suite("Network database (libmaxminddb) on MMDB files the tests write")
struct NetworkDatabaseTests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "dmarcwatch-mmdb-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    @Test("IPinfo Lite: country and AS from one flat record, IPv4 and IPv6, nested networks")
    func ipinfo() throws {
        let path = dir + "/ipinfo_lite.mmdb"
        try MMDBWriter.ipinfoLite([
            (network: "209.85.128.0/17", asn: 15169, asName: "Google LLC", countryCode: "US"),
            (network: "209.85.220.0/24", asn: 15169, asName: "Google LLC", countryCode: "IE"),
            (network: "2001:db8::/32", asn: 2497, asName: "Internet Initiative Japan Inc.", countryCode: "JP"),
        ]).write(to: path)
        let db = try NetworkDatabase(paths: [path])
        #expect(db.lookup("209.85.130.1") == .init(country: "US", asn: 15169, asOrganization: "Google LLC"))
        #expect(db.lookup("209.85.220.41").country == "IE")
        #expect(
            db.lookup("2001:db8::25")
                == .init(country: "JP", asn: 2497, asOrganization: "Internet Initiative Japan Inc."))
        #expect(db.lookup("192.0.2.1") == .init(country: nil, asn: nil, asOrganization: nil))
        #expect(db.lookup("not an address") == .init(country: nil, asn: nil, asOrganization: nil))
    }

    @Test("GeoLite2 and DB-IP Lite: a country file and an ASN file read together")
    func splitFiles() throws {
        for (country, asn) in [
            (
                MMDBWriter.geoLite2Country([(network: "203.0.113.0/24", countryCode: "CN")]),
                MMDBWriter.geoLite2ASN([(network: "203.0.113.0/24", asn: 64500, organization: "Example Hosting")])
            ),
            (
                MMDBWriter.dbipCountryLite([(network: "203.0.113.0/24", countryCode: "CN")]),
                MMDBWriter.dbipASNLite([(network: "203.0.113.0/24", asn: 64500, organization: "Example Hosting")])
            ),
        ] {
            let c = dir + "/country-\(UUID().uuidString).mmdb"
            let a = dir + "/asn-\(UUID().uuidString).mmdb"
            try country.write(to: c)
            try asn.write(to: a)
            let db = try NetworkDatabase(paths: [c, a])
            #expect(db.lookup("203.0.113.9") == .init(country: "CN", asn: 64500, asOrganization: "Example Hosting"))
            #expect(db.types.count == 2)
        }
    }

    @Test("a file that is not an MMDB is a clear error naming it")
    func badFile() throws {
        let path = dir + "/broken.mmdb"
        try Data("not a database".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: NetworkDatabase.OpenError.self) { try NetworkDatabase(paths: [path]) }
        do {
            _ = try NetworkDatabase(paths: [path])
        } catch {
            #expect("\(error)".contains("broken.mmdb"))
        }
    }
}

@Suite("SPF authorisation against dnsmasq", .serialized)
struct SPFAuthorizerTests {
    static let zone = [
        #"txt-record=example.test,"v=spf1 ip4:192.0.2.0/28 include:_spf.esp.test a:mail.example.test mx -all""#,
        #"txt-record=_spf.esp.test,"v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:5::/48 ~all""#,
        "host-record=mail.example.test,203.0.113.7",
        "mx-host=example.test,mx.example.test,10",
        "host-record=mx.example.test,203.0.113.25",
        #"txt-record=redirected.test,"v=spf1 redirect=example.test""#,
        #"txt-record=soft.test,"v=spf1 ?all""#,
        #"txt-record=loop.test,"v=spf1 include:loop.test -all""#,
    ]

    let server: DNSTestServer
    let spf: SPFAuthorizer

    init() throws {
        server = try DNSTestServer(zone: Self.zone)
        spf = SPFAuthorizer(resolver: DNSResolver(try DNSConfiguration(nameserver: server.nameserver, timeout: 2)))
    }

    func check(_ domain: String, _ ip: String) -> Bool? {
        spf.authorizes(domain: domain, address: IPAddress(ip)!)
    }

    @Test("ip4, include, ip6, a, mx, redirect and all, in order")
    func mechanisms() {
        #expect(check("example.test", "192.0.2.5") == true)
        #expect(check("example.test", "192.0.2.20") == false)
        #expect(check("example.test", "192.0.2.15") == true)
        #expect(SPFAuthorizer.contains(IPAddress("192.0.2.0")!, 28, IPAddress("192.0.2.16")!) == false)
        #expect(SPFAuthorizer.contains(IPAddress("0.0.0.0")!, 0, IPAddress("203.0.113.1")!))
        #expect(SPFAuthorizer.contains(IPAddress("2001:db8::")!, 32, IPAddress("2001:db9::1")!) == false)
        #expect(SPFAuthorizer.contains(IPAddress("192.0.2.0")!, 24, IPAddress("::ffff:192.0.2.9")!))
        #expect(check("example.test", "198.51.100.77") == true)
        #expect(check("example.test", "2001:db8:5::9") == true)
        #expect(check("example.test", "203.0.113.7") == true)
        #expect(check("example.test", "203.0.113.25") == true)
        #expect(check("redirected.test", "198.51.100.1") == true)
        #expect(check("soft.test", "192.0.2.5") == false)
        // No record, and an include loop (past the lookup limit): unknown, not "no".
        #expect(check("missing.test", "192.0.2.5") == nil)
        #expect(check("loop.test", "192.0.2.5") == nil)
    }
}

@Suite("RDAP against a loopback HTTP server", .serialized)
struct RDAPTests {
    @Test("registrant from the vCard, else the network name; redirects followed; errors named")
    func lookup() throws {
        let answer = """
            {"objectClassName": "ip network", "handle": "NET-192-0-2-0-1", "name": "TEST-NET-1",
             "startAddress": "192.0.2.0", "endAddress": "192.0.2.255", "country": "US",
             "entities": [{"objectClassName": "entity", "roles": ["registrant"],
               "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Example Networks Inc."]]]}]}
            """
        let server = StaticHTTPServer(files: [
            "/ip/192.0.2.1": answer, "/ip/192.0.2.2": #"{"handle": "X", "name": "NO-ENTITIES"}"#,
            "/ip/192.0.2.3": "<html>not json</html>",
        ])
        let client = try RDAPClient(baseURL: "http://127.0.0.1:\(server.port)", timeout: 5)
        var owner: NetworkOwner?
        for _ in 0..<50 where owner == nil {
            owner = try? client.lookup(IPAddress("192.0.2.1")!)
            if owner == nil { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(owner?.owner == "Example Networks Inc.")
        #expect(owner?.handle == "NET-192-0-2-0-1")
        #expect(owner?.range == "192.0.2.0 – 192.0.2.255")
        #expect(try client.lookup(IPAddress("192.0.2.2")!).owner == "NO-ENTITIES")
        #expect(throws: RDAPClient.Failure.self) { try client.lookup(IPAddress("192.0.2.3")!) }
        #expect(throws: RDAPClient.Failure.self) { try client.lookup(IPAddress("192.0.2.4")!) }
        #expect(throws: RDAPClient.Failure.self) { try RDAPClient(baseURL: "http://rdap.example") }
    }
}

@Suite("Source analysis against crafted evidence")
struct SourceAnalysisHostileTests {
    @Test("only passing signatures and a forward-confirmed PTR name a service")
    func serviceNaming() {
        let analysis = SourceAnalysis(authorizer: nil)
        var p = SourceProfile(ip: "203.0.113.60", domain: "example.com")
        p.messages = 10
        p.dkimSignatures = ["sendgrid.net": .init(fail: 10), "evil.example": .init(pass: 10)]
        p.ptr = "o1.ptr1.sendgrid.net"
        p.forwardConfirmed = false
        #expect(analysis.service(for: p) == nil)
        #expect(analysis.classify([p]).first?.sourceClass == .suspicious)
        p.dkimSignatures["sendgrid.net"] = .init(pass: 10)
        #expect(analysis.service(for: p)?.id == "sendgrid")
    }

    @Test("a DNS server that does not answer makes SPF authorisation unknown, not false")
    func silentDNS() throws {
        let silent = SilentDNSServer()
        let spf = SPFAuthorizer(
            resolver: DNSResolver(try DNSConfiguration(nameserver: "127.0.0.1:\(silent.port)", timeout: 1)))
        #expect(spf.authorizes(domain: "example.test", address: IPAddress("192.0.2.1")!) == nil)
    }

    @Test("plain HTTP RDAP only to a loopback host, exactly")
    func rdapURL() {
        #expect((try? RDAPClient(baseURL: "http://127.0.0.1:8080")) != nil)
        #expect((try? RDAPClient(baseURL: "http://127.0.0.1.evil.example")) == nil)
        #expect((try? RDAPClient(baseURL: "http://127.0.0.1@evil.example")) == nil)
        #expect((try? RDAPClient(baseURL: "https://rdap.example")) != nil)
    }
}
