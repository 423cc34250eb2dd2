import DMARCCore
import DMARCEnrich
import DMARCNet
import DMARCStore

#if canImport(Glibc)
    import Glibc
#endif

/// One enrichment pass, as `enrich` and `serve`'s background timer run it: reverse DNS
/// (concurrent, forward-confirmed) for addresses without a fresh entry, then country and AS from
/// the MMDB files, and the service the PTR name belongs to.
struct Enrichment {
    var dns: DNSConfiguration
    var concurrency = 64
    var networks: NetworkDatabase?

    struct Summary {
        var addresses = 0
        var withPTR = 0
        var confirmed = 0
        var failed = 0
        var located = 0
        var seconds = 0.0
    }

    /// `recentDays`: only addresses seen in that many days (the background job); nil: all.
    func run(_ store: ReportStore, limit: Int = 1_000_000, recentDays: Int64? = nil) throws -> Summary {
        let addresses =
            if let recentDays {
                try store.recentAddressesNeedingEnrichment(
                    sinceDay: DayMath.day(of: Int64(time(nil))) - recentDays, limit: limit)
            } else {
                try store.addressesNeedingEnrichment(limit: limit)
            }
        let start = Console.now()
        var summary = Summary()
        // Saved a batch at a time as lookups complete: a run that dies (or is stopped) keeps what
        // it found, and the next run asks only for the rest.
        try ReverseDNSLookup(resolver: DNSResolver(dns), concurrency: concurrency).lookup(
            addresses, batch: Self.batch
        ) { results in
            try save(results, to: store, summary: &summary)
        }
        summary.seconds = Console.now() - start
        return summary
    }

    /// Addresses saved per transaction.
    static let batch = 256

    private func save(_ results: [ReverseDNSResult], to store: ReportStore, summary: inout Summary) throws {
        try store.saveIPInfo(
            results.map {
                IPInfo(
                    ip: $0.ip, ptr: $0.ptr, forwardConfirmed: $0.forwardConfirmed, baseDomain: $0.baseDomain,
                    problem: $0.problem)
            })
        var facts: [(ip: String, info: NetworkInfo)] = []
        for r in results {
            var info = NetworkInfo()
            if let networks {
                let f = networks.lookup(r.ip)
                info.country = f.country
                info.asn = f.asn
                info.asOrganization = f.asOrganization
                if f.country != nil || f.asn != nil { summary.located += 1 }
            }
            // Only a forward-confirmed name is trusted to name the service.
            if r.forwardConfirmed {
                info.service = ServiceCatalogue.match(ptr: r.ptr, dkimDomains: [], spfDomains: [])?.id
            }
            if networks != nil || info.service != nil { facts.append((r.ip, info)) }
        }
        if !facts.isEmpty { try store.saveNetworkInfo(facts) }
        summary.addresses += results.count
        summary.withPTR += results.filter { $0.ptr != nil }.count
        summary.confirmed += results.filter(\.forwardConfirmed).count
        summary.failed += results.filter { $0.problem != nil }.count
    }

    /// Opens the MMDB files named by --mmdb (repeatable) or $DMARCWATCH_MMDB (colon-separated).
    static func networkDatabase(_ args: Arguments) throws -> NetworkDatabase? {
        var paths = args.all("--mmdb")
        if paths.isEmpty, let env = Console.environment("DMARCWATCH_MMDB") {
            paths = env.split(separator: ":").map(String.init)
        }
        guard !paths.isEmpty else { return nil }
        do {
            return try NetworkDatabase(paths: paths)
        } catch {
            throw UsageError(message: "--mmdb: \(error)")
        }
    }
}

extension DNSConfiguration {
    /// The resolver set-up of the commands that query DNS: `--nameserver HOST[:PORT]` if given,
    /// else the system's, with a 2 s timeout per try.
    static func from(_ args: Arguments, timeout: Int = 2) throws -> DNSConfiguration {
        guard let ns = args.value("--nameserver") else { return DNSConfiguration(timeout: timeout, tries: 2) }
        do {
            return try DNSConfiguration(nameserver: ns, timeout: timeout)
        } catch {
            throw UsageError(message: "--nameserver: \(error)")
        }
    }
}
