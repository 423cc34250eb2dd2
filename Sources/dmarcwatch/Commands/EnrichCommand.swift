import DMARCCore
import DMARCEnrich
import DMARCNet
import DMARCStore

enum EnrichCommand {
    static let command = Command(
        name: "enrich",
        summary: "Look up reverse DNS (forward-confirmed) and base domains of the source addresses",
        usage: """
            Usage: dmarcwatch enrich [--nameserver HOST[:PORT]] [--concurrency N] [--json]

            For every source address in the stored reports without a fresh entry: PTR, whether the
            PTR name resolves back to the address, and the name's organisational domain (public
            suffix list). Lookups run concurrently (default 64 in flight). Answers are kept for a
            week, failed lookups for an hour. Import never waits for this.

              --nameserver H[:P]   ask this DNS server (IPv4) instead of the system's
              --concurrency N      lookups in flight at once (1 to 512)
              --json               {"addresses", "with_ptr", "forward_confirmed", "failed", "seconds"}

            """,
        options: ["--nameserver", "--concurrency"],
        flags: ["--json"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals.isEmpty else { throw UsageError(message: "enrich takes no arguments") }
        var configuration = DNSConfiguration(timeout: 2, tries: 2)
        if let ns = args.value("--nameserver") {
            do {
                configuration = try DNSConfiguration(nameserver: ns, timeout: 2)
            } catch {
                throw UsageError(message: "\(error)")
            }
        }
        var concurrency = 64
        if let text = args.value("--concurrency") {
            guard let n = Int(text), (1...512).contains(n) else {
                throw UsageError(message: "--concurrency must be 1 to 512")
            }
            concurrency = n
        }
        let store = try context.openStore()
        let addresses = try store.addressesNeedingEnrichment()
        let start = Console.now()
        let results = ReverseDNSLookup(resolver: DNSResolver(configuration), concurrency: concurrency).lookup(addresses)
        let seconds = Console.now() - start
        try store.saveIPInfo(
            results.map {
                IPInfo(
                    ip: $0.ip, ptr: $0.ptr, forwardConfirmed: $0.forwardConfirmed, baseDomain: $0.baseDomain,
                    problem: $0.problem)
            })
        let withPTR = results.filter { $0.ptr != nil }.count
        let confirmed = results.filter(\.forwardConfirmed).count
        let failed = results.filter { $0.problem != nil }.count
        if args.flag("--json") {
            Console.out(
                JSONValue.object([
                    ("addresses", .int(results.count)), ("with_ptr", .int(withPTR)),
                    ("forward_confirmed", .int(confirmed)),
                    ("failed", .int(failed)), ("seconds", .double((seconds * 1000).rounded() / 1000)),
                ]).serialized(pretty: true) + "\n")
        } else {
            let rate = seconds > 0 ? Int64(Double(results.count) / seconds) : 0
            Console.out(
                "\(grouped(results.count)) address(es): \(grouped(withPTR)) with PTR, \(grouped(confirmed)) forward-confirmed, "
                    + "\(grouped(failed)) failed lookups, in \(Int(seconds * 1000)) ms (\(grouped(rate))/s)\n")
        }
        return ExitCode.success
    }
}
