internal import CArchive
internal import CZlib
import DMARCCore
import DMARCIngest

#if canImport(Glibc)
    import Glibc
#endif

/// `generate` and `parse`, the two halves of the benchmark.
enum BenchTool {
    static let usage = """
        Usage: dmarcwatch-bench generate --records N --format xml|gz|zip --out PATH [--seed S]
               dmarcwatch-bench parse PATH
               dmarcwatch-bench fleet --db PATH [--records N] [--days D] [--domains M]
               dmarcwatch-bench dashboard --db PATH [--rounds R] [--period 7|30|90]
               dmarcwatch-bench demo --out DIR [--days D]

        """

    static func run(_ args: [String]) -> Int32 {
        guard let command = args.first else {
            print(usage, terminator: "")
            return 64
        }
        do {
            switch command {
            case "generate":
                var records = 100_000
                var format = "xml"
                var out = ""
                var seed: UInt64 = 42
                var i = 1
                while i + 1 < args.count {
                    switch args[i] {
                    case "--records": records = Int(args[i + 1]) ?? records
                    case "--format": format = args[i + 1]
                    case "--out": out = args[i + 1]
                    case "--seed": seed = UInt64(args[i + 1]) ?? seed
                    default: break
                    }
                    i += 2
                }
                guard !out.isEmpty, ["xml", "gz", "zip"].contains(format) else {
                    print(usage, terminator: "")
                    return 64
                }
                try SyntheticReport(records: records, seed: seed).write(format: format, to: out)
                return 0
            case "fleet": return try DashboardBench.fleet(args)
            case "dashboard": return try DashboardBench.dashboard(args)
            case "demo": return try DashboardBench.demo(args)
            case "parse":
                guard args.count == 2 else {
                    print(usage, terminator: "")
                    return 64
                }
                let sink = CountingSink()
                let start = monotonicSeconds()
                let (outcomes, problems) = try ReportScanner().scan(path: args[1], sink: sink)
                let elapsed = monotonicSeconds() - start
                for p in problems { print("problem: \(p)") }
                print(
                    "parsed \(outcomes.count) report(s), \(sink.records) records, \(sink.messages) messages in "
                        + "\(formatted(elapsed)) s: \(Int(Double(sink.records) / max(elapsed, 1e-9))) records/s")
                return problems.isEmpty ? 0 : 1
            default:
                print(usage, terminator: "")
                return 64
            }
        } catch {
            print("dmarcwatch-bench: \(error)")
            return 1
        }
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func formatted(_ d: Double) -> String {
        let ms = Int((d * 1000).rounded())
        return "\(ms / 1000).\(String(ms % 1000).leftPad(3))"
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

/// Counts what the parser delivers; keeps nothing.
final class CountingSink: AggregateReportSink {
    var records = 0
    var messages: Int64 = 0
    func begin(_ header: AggregateReportHeader) throws -> Bool { true }
    func record(_ record: AggregateRecord) throws {
        records += 1
        messages += record.count
    }
    func finish(_ header: AggregateReportHeader) throws {}
    func abort() {}
}

/// A deterministic synthetic aggregate report shaped like a large Google or Outlook.com report:
/// many source IPs (v4 and v6), one or two DKIM results, SPF, override reasons now and then.
struct SyntheticReport {
    let records: Int
    let seed: UInt64

    struct SplitMix {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    func write(format: String, to path: String) throws {
        switch format {
        case "xml":
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw BenchError("cannot write \(path)") }
            defer { close(fd) }
            generate { chunk in _ = chunk.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } }
        case "gz":
            guard let gz = gzopen(path, "wb6") else { throw BenchError("cannot write \(path)") }
            defer { gzclose(gz) }
            generate { chunk in _ = chunk.withUnsafeBytes { gzwrite(gz, $0.baseAddress, UInt32($0.count)) } }
        default:
            // Zip needs the entry size up front: write the XML to a side file first.
            let xml = path + ".tmp.xml"
            try write(format: "xml", to: xml)
            defer { unlink(xml) }
            try zip(xml, entryName: "synthetic!example.com!1764547200!1764633599.xml", to: path)
        }
    }

    func zip(_ source: String, entryName: String, to path: String) throws {
        var st = stat()
        guard stat(source, &st) == 0 else { throw BenchError("cannot stat \(source)") }
        guard let a = archive_write_new() else { throw BenchError("libarchive") }
        defer { archive_write_free(a) }
        archive_write_set_format_zip(a)
        guard archive_write_open_filename(a, path) == ARCHIVE_OK else { throw BenchError("cannot write \(path)") }
        let entry = archive_entry_new()
        archive_entry_set_pathname(entry, entryName)
        archive_entry_set_size(entry, la_int64_t(st.st_size))
        archive_entry_set_filetype(entry, 0o100000)
        archive_entry_set_perm(entry, 0o644)
        archive_write_header(a, entry)
        archive_entry_free(entry)
        let fd = open(source, O_RDONLY)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            _ = buffer.withUnsafeBytes { archive_write_data(a, $0.baseAddress, n) }
        }
        archive_write_close(a)
    }

    func generate(_ emit: ([UInt8]) -> Void) {
        var rng = SplitMix(state: seed)
        let begin = 1_764_547_200
        var out = """
            <?xml version="1.0" encoding="UTF-8" ?>
            <feedback>
              <report_metadata>
                <org_name>google.com</org_name>
                <email>noreply-dmarc-support@google.com</email>
                <extra_contact_info>https://support.google.com/a/answer/2466580</extra_contact_info>
                <report_id>synthetic-\(seed)-\(records)</report_id>
                <date_range>
                  <begin>\(begin)</begin>
                  <end>\(begin + 86399)</end>
                </date_range>
              </report_metadata>
              <policy_published>
                <domain>example.com</domain>
                <adkim>r</adkim>
                <aspf>r</aspf>
                <p>none</p>
                <sp>none</sp>
                <pct>100</pct>
                <np>none</np>
              </policy_published>

            """
        let services = ["example.com", "mail.example.com", "sendgrid.net", "amazonses.com", "spoof-example.net"]
        for i in 0..<records {
            let v6 = rng.below(10) == 0
            let ip =
                v6
                ? "2001:db8:\(String(rng.below(65536), radix: 16))::\(String(i & 0xFFFF, radix: 16)):\(String(i >> 16, radix: 16))"
                : "\(10 + rng.below(200)).\(rng.below(256)).\((i >> 8) & 255).\(i & 255)"
            let count = 1 + rng.below(rng.below(4) == 0 ? 500 : 5)
            let dkimPass = rng.below(10) < 7
            let spfPass = rng.below(10) < 6
            let disposition = dkimPass || spfPass ? "none" : ["none", "quarantine", "reject"][rng.below(3)]
            let signer = services[rng.below(services.count)]
            out += """
                  <record>
                    <row>
                      <source_ip>\(ip)</source_ip>
                      <count>\(count)</count>
                      <policy_evaluated>
                        <disposition>\(disposition)</disposition>
                        <dkim>\(dkimPass ? "pass" : "fail")</dkim>
                        <spf>\(spfPass ? "pass" : "fail")</spf>

                """
            if rng.below(20) == 0 {
                out += "          <reason><type>forwarded</type><comment>list</comment></reason>\n"
            }
            out += """
                      </policy_evaluated>
                    </row>
                    <identifiers>
                      <header_from>example.com</header_from>
                    </identifiers>
                    <auth_results>
                      <dkim>
                        <domain>\(dkimPass ? "example.com" : signer)</domain>
                        <result>\(dkimPass ? "pass" : "fail")</result>
                        <selector>s\(rng.below(3))</selector>
                      </dkim>

                """
            if rng.below(3) == 0 {
                out += """
                          <dkim>
                            <domain>\(signer)</domain>
                            <result>pass</result>
                            <selector>esp</selector>
                          </dkim>

                    """
            }
            out += """
                      <spf>
                        <domain>\(spfPass ? "example.com" : "bounce.\(signer)")</domain>
                        <result>\(spfPass ? "pass" : "softfail")</result>
                      </spf>
                    </auth_results>
                  </record>

                """
            if out.utf8.count > 1 << 20 {
                emit(Array(out.utf8))
                out = ""
            }
        }
        out += "</feedback>\n"
        emit(Array(out.utf8))
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
