import DMARCCore
import DMARCEnrich
import DMARCNet
import DMARCStore

enum EnrichCommand {
    static let command = Command(
        name: "enrich",
        summary: "Reverse DNS, country, AS and service of the source addresses",
        usage: """
            Usage: dmarcwatch enrich [--nameserver HOST[:PORT]] [--concurrency N] [--mmdb FILE]... [--json]

            For every source address in the stored reports without a fresh entry: PTR, whether the
            PTR name resolves back to the address, the name's organisational domain (public
            suffix list), the sending service it belongs to (the built-in catalogue), and, with
            --mmdb, country and autonomous system. Lookups run concurrently (default 64 in
            flight). Answers are kept for a week, failed lookups for an hour. Import never waits
            for this; 'serve' runs it in the background.

              --nameserver H[:P]   ask this DNS server (IPv4) instead of the system's
              --concurrency N      lookups in flight at once (1 to 512)
              --mmdb FILE          an MMDB file: IPinfo Lite, or GeoLite2 / DB-IP Lite country and
                                   ASN files (repeat for several; default $DMARCWATCH_MMDB,
                                   colon-separated)
              --json               {"addresses", "with_ptr", "forward_confirmed", "failed", "located", "seconds"}

            """,
        options: ["--nameserver", "--concurrency", "--mmdb"],
        flags: ["--json"],
        run: run
    )

    static func run(_ args: Arguments, _ context: Context) throws -> Int32 {
        guard args.positionals.isEmpty else { throw UsageError(message: "enrich takes no arguments") }
        let configuration = try DNSConfiguration.from(args)
        var concurrency = 64
        if let text = args.value("--concurrency") {
            guard let n = Int(text), (1...512).contains(n) else {
                throw UsageError(message: "--concurrency must be 1 to 512")
            }
            concurrency = n
        }
        let enrichment = Enrichment(
            dns: configuration, concurrency: concurrency, networks: try Enrichment.networkDatabase(args))
        let s = try enrichment.run(try context.openStore())
        let (withPTR, confirmed, failed, seconds) = (s.withPTR, s.confirmed, s.failed, s.seconds)
        if args.flag("--json") {
            Console.out(
                JSONValue.object([
                    ("addresses", .int(s.addresses)), ("with_ptr", .int(withPTR)),
                    ("forward_confirmed", .int(confirmed)), ("failed", .int(failed)), ("located", .int(s.located)),
                    ("seconds", .double((seconds * 1000).rounded() / 1000)),
                ]).serialized(pretty: true) + "\n")
        } else {
            let rate = seconds > 0 ? Int64(Double(s.addresses) / seconds) : 0
            Console.out(
                "\(grouped(s.addresses)) address(es): \(grouped(withPTR)) with PTR, \(grouped(confirmed)) forward-confirmed, "
                    + "\(grouped(failed)) failed lookups, in \(Int(seconds * 1000)) ms (\(grouped(rate))/s)"
                    + (s.located > 0 ? "; \(grouped(s.located)) located from the MMDB files" : "") + "\n")
        }
        return ExitCode.success
    }
}
