import Foundation
import Testing

@Suite("The dmarcwatch command line", .serialized)
struct CLITests {
    let dir: String
    var db: String { "\(dir)/cli.sqlite3" }

    init() throws {
        dir = try CLI.temporaryDirectory()
    }

    func fixture(_ path: String) -> String { "\(CLI.fixtures)/corpus/\(path)" }

    @Test(
        "--help works for the tool and every command",
        arguments: [
            "", "import", "summary", "reports", "export", "reparse", "check", "record", "ingest", "tls-reports",
            "mailbox", "fetch", "serve",
        ])
    func help(_ command: String) throws {
        let r = try CLI.run(command.isEmpty ? ["--help"] : [command, "--help"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Usage: dmarcwatch"))
    }

    @Test("The fuzz target's replay reads every fixture through the intake, the sink's rules holding")
    func fuzzReplay() throws {
        let files = try FileManager.default.subpathsOfDirectory(atPath: CLI.fixtures).filter {
            !$0.hasSuffix(".md") && !$0.hasSuffix(".jsonl")
        }.map { "\(CLI.fixtures)/\($0)" }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        #expect(files.count > 50)
        let r = try CLI.run(files, binary: "\(CLI.packageRoot)/.build/debug/dmarcwatch-fuzz")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.split(separator: "\n").filter { $0.hasSuffix(": ok") }.count == files.count)
    }

    @Test("The fuzz target's replay: --help, a usage error without files, a clear error for a missing one")
    func fuzzReplayUsage() throws {
        let binary = "\(CLI.packageRoot)/.build/debug/dmarcwatch-fuzz"
        let help = try CLI.run(["--help"], binary: binary)
        #expect(help.status == 0)
        #expect(help.stdout.contains("Usage: dmarcwatch-fuzz FILE..."))
        #expect(try CLI.run([], binary: binary).status == 64)
        let missing = try CLI.run(["\(dir)/no-such-report.xml"], binary: binary)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no-such-report.xml"))
    }

    @Test(
        "Bad usage exits 64 with a message",
        arguments: [
            ["frobnicate"], ["import"], ["summary", "--from", "yesterday"], ["export"], ["export", "--format", "xml"],
            ["reports", "--limit", "0"], ["summary", "--bogus"], ["--bogus"], ["check"],
            ["check", "a.example", "--nameserver", "ns.example"],
            ["record", "generate", "--domain", "example.com"],
            ["record", "generate", "--domain", "example.com", "--policy", "maybe"],
            ["record", "generate", "--domain", "example.com", "--policy", "none", "--legacy-pct", "150"],
            ["record", "generate", "--domain", "example.com", "--policy", "none", "--rua", "ftp://x"],
        ])
    func usage(_ args: [String]) throws {
        let r = try CLI.run(["--db", db] + args)
        #expect(r.status == 64)
        #expect(!r.stderr.isEmpty)
    }

    @Test("import --json: totals, exit 1 for a bad file, every document a duplicate the second time")
    func importJSON() throws {
        let inputs = [fixture("parsedmarc-samples/aggregate"), fixture("parsedmarc-samples/empty.xml")]
        let first = try CLI.run(["--db", db, "import", "--json"] + inputs)
        #expect(first.status == 1)
        let json = try #require(first.json as? [String: Any])
        for key in ["documents", "imported", "duplicates", "failed", "ignored", "records", "messages", "failures"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect(json["failed"] as? Int == 1)
        #expect(json["imported"] as? Int == 17)
        let failures = try #require(json["failures"] as? [[String: String]])
        #expect(failures.first?["source"]?.hasSuffix("empty.xml") == true)

        let second = try CLI.run(["--db", db, "import", "--json", fixture("parsedmarc-samples/aggregate")])
        #expect(second.status == 0)
        let again = try #require(second.json as? [String: Any])
        #expect(again["duplicates"] as? Int == again["documents"] as? Int)
        #expect(again["records"] as? Int == 0)

        // The bad file again: a duplicate, listed with the error it was stored with.
        let third = try CLI.run(["--db", db, "import", "--json", fixture("parsedmarc-samples/empty.xml")])
        #expect(third.status == 0)
        let earlier = try #require((third.json as? [String: Any])?["failed_earlier"] as? [[String: String]])
        #expect(earlier.count == 1)
        #expect(earlier.first?["source"]?.hasSuffix("empty.xml") == true)
        #expect(earlier.first?["error"] == failures.first?["error"])
        let text = try CLI.run(["--db", db, "import", fixture("parsedmarc-samples/empty.xml")])
        #expect(text.stdout.contains("reparse"))
    }

    @Test("On a terminal a long import shows files, reports and records per second; redirected it does not")
    func progress() throws {
        // A report that takes the debug build well over the 0.25 s between redraws.
        let report = "\(dir)/big.xml"
        let bench = "\(CLI.packageRoot)/.build/debug/dmarcwatch-bench"
        let made = try CLI.run(
            ["generate", "--records", "40000", "--format", "xml", "--out", report], binary: bench)
        #expect(made.status == 0, "\(made.stderr)")
        // script(1) (util-linux, in every Debian) runs the import on a pseudo-terminal.
        let command = "'\(CLI.binary)' --db '\(db)' import '\(report)'"
        let tty = try CLI.run(["-qec", command, "/dev/null"], binary: "/usr/bin/script")
        #expect(tty.status == 0, "\(tty.stderr)")
        #expect(tty.stdout.contains("\r\u{1B}[K1 files, 0 reports, "), "\(tty.stdout.prefix(300))")
        #expect(tty.stdout.contains(" records/s)"))
        #expect(tty.stdout.contains("1 new report(s), 40,000 records"))
        let piped = try CLI.run(["--db", "\(dir)/other.sqlite3", "import", report])
        #expect(piped.status == 0)
        #expect(!piped.stderr.contains("records/s"))
        #expect(!piped.stdout.contains("\u{1B}"))
    }

    @Test("The input limits are settings: DMARCWATCH_MAX_* in the environment, a bad value is bad usage")
    func limitSettings() throws {
        let zip = "\(CLI.fixtures)/generated/two-reports-and-a-note.zip"
        let tight = try CLI.run(
            ["--db", db, "import", "--json", zip], environment: ["DMARCWATCH_MAX_ZIP_ENTRIES": "2"])
        #expect(tight.status == 1)
        let failures = try #require((tight.json as? [String: Any])?["failures"] as? [[String: String]])
        #expect(failures.first?["error"]?.contains("more than 2 entries") == true, "\(failures)")
        let size = try CLI.run(
            ["--db", db, "import", "--json", fixture("parsedmarc-samples/aggregate/empty_reason.xml")],
            environment: ["DMARCWATCH_MAX_MESSAGE": "1KiB", "DMARCWATCH_MAX_DOCUMENT": "100"])
        #expect(size.status == 1)
        #expect(size.stdout.contains("limit of 100 bytes"), "\(size.stdout)")
        let bad = try CLI.run(["--db", db, "summary"], environment: ["DMARCWATCH_MAX_MESSAGE": "lots"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("DMARCWATCH_MAX_MESSAGE=lots"))
        #expect(try CLI.run(["--help"]).stdout.contains("DMARCWATCH_MAX_ZIP_ENTRIES"))
    }

    @Test("--db without a value is a usage error naming it; an unwritable --output is exit 1, not 64")
    func missingValues() throws {
        let r = try CLI.run(["--db"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("--db needs a value"))
        let out = try CLI.run(["--db", db, "export", "--format", "csv", "--output", "\(dir)/no/such/dir/x.csv"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("cannot write"))
    }

    @Test("summary --json matches the snapshot for a known set of reports")
    func summarySnapshot() throws {
        let inputs = [
            "parsedmarc-samples/aggregate/fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz",
            "parsedmarc-samples/aggregate/twilight.eml",
            "parsedmarc-samples/aggregate/rfc9990-sample.xml",
            "standards/aggregate/rfc7489-era/crinc-google.xml",
            "standards/aggregate/rfc7489-era/crinc-outlook.xml",
        ].map(fixture)
        #expect(try CLI.run(["--db", db, "import"] + inputs).status == 0)
        let r = try CLI.run(["--db", db, "summary", "--json"])
        #expect(r.status == 0)
        let expected = try String(contentsOfFile: "\(CLI.snapshots)/summary.json", encoding: .utf8)
        #expect(r.stdout == expected)
        let filtered = try CLI.run([
            "--db", db, "summary", "--json", "--domain", "indemed.com", "--from", "2018-01-16", "--to", "2018-01-16",
        ])
        let domains = try #require((filtered.json as? [String: Any])?["domains"] as? [[String: Any]])
        #expect(domains.map { $0["domain"] as? String } == ["indemed.com"])
        #expect(domains.first?["messages"] as? Int == 1)
        let later = try CLI.run(["--db", db, "summary", "--json", "--from", "2018-01-17", "--to", "2019-01-01"])
        let none = try #require((later.json as? [String: Any])?["domains"] as? [[String: Any]])
        #expect(none.isEmpty)
    }

    @Test("export --format csv uses parsedmarc's columns, one row per record")
    func exportCSV() throws {
        #expect(
            try CLI.run([
                "--db", db, "import", fixture("parsedmarc-samples/aggregate/empty_reason.xml"),
                fixture("standards/aggregate/rfc7489-era/crinc-outlook.xml"),
            ]).status == 0)
        let r = try CLI.run(["--db", db, "export", "--format", "csv"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\r\n")
        #expect(
            lines.first?.hasPrefix("xml_schema,org_name,org_email,org_extra_contact_info,report_id,begin_date") == true)
        #expect(lines.first?.split(separator: ",").count == 44)
        let records = try CLI.run(["--db", db, "reports", "--json"])
        let total = ((records.json as? [[String: Any]]) ?? []).reduce(0) { $0 + ($1["records"] as? Int ?? 0) }
        #expect(lines.count == total + 1)
        #expect(total > 0)
    }

    @Test("export --format csv puts a quote before cells a spreadsheet would run; --raw-csv does not")
    func exportFormulaCells() throws {
        let xml = """
            <?xml version="1.0"?><feedback><report_metadata><org_name>=cmd|' /C calc'!A0</org_name>
            <email>a@reporter.example</email><report_id>+42</report_id><date_range><begin>1700006400</begin>
            <end>1700092799</end></date_range></report_metadata><policy_published><domain>example.com</domain>
            <p>none</p></policy_published><record><row><source_ip>192.0.2.1</source_ip><count>1</count>
            <policy_evaluated><disposition>none</disposition><dkim>pass</dkim><spf>pass</spf></policy_evaluated></row>
            <identifiers><header_from>example.com</header_from></identifiers><auth_results><spf>
            <domain>example.com</domain><result>pass</result></spf></auth_results></record></feedback>
            """
        try xml.write(toFile: "\(dir)/formula.xml", atomically: true, encoding: .utf8)
        #expect(try CLI.run(["--db", db, "import", "\(dir)/formula.xml"]).status == 0)
        let guarded = try CLI.run(["--db", db, "export", "--format", "csv"])
        #expect(guarded.status == 0)
        let row = guarded.stdout.split(separator: "\r\n").last.map(String.init) ?? ""
        #expect(row.contains(",'=cmd|' /C calc'!A0,"))
        #expect(row.contains(",'+42,"))
        let raw = try CLI.run(["--db", db, "export", "--format", "csv", "--raw-csv"])
        #expect(raw.stdout.contains(",=cmd|' /C calc'!A0,"))
        #expect(raw.stdout.contains(",+42,"))
    }

    @Test("export --format json has parsedmarc's report shape")
    func exportJSON() throws {
        #expect(
            try CLI.run(["--db", db, "import", fixture("parsedmarc-samples/aggregate/rfc9990-sample.xml")]).status == 0)
        let out = "\(dir)/export.json"
        let r = try CLI.run(["--db", db, "export", "--format", "json", "--output", out])
        #expect(r.status == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        let reports = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(reports.count == 1)
        let report = reports[0]
        let metadata = try #require(report["report_metadata"] as? [String: Any])
        #expect(metadata["generator"] != nil)
        let policy = try #require(report["policy_published"] as? [String: Any])
        #expect(policy["np"] != nil && policy["testing"] != nil && policy["discovery_method"] != nil)
        let record = try #require((report["records"] as? [[String: Any]])?.first)
        #expect((record["alignment"] as? [String: Any])?["dmarc"] != nil)
        #expect((record["source"] as? [String: Any])?["ip_address"] != nil)
        #expect((record["auth_results"] as? [String: Any])?["dkim"] is [Any])
    }

    @Test("import - reads standard input; DMARCWATCH_DB chooses the database")
    func stdinAndEnvironment() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture("parsedmarc-samples/aggregate/empty_reason.xml")))
        let r = try CLI.run(["import", "--json", "-"], stdin: bytes, environment: ["DMARCWATCH_DB": db])
        #expect(r.status == 0)
        #expect((r.json as? [String: Any])?["imported"] as? Int == 1)
        #expect(FileManager.default.fileExists(atPath: db))
    }

    @Test("import - splits an mbox piped in, as it does an mbox file")
    func stdinMbox() throws {
        var mbox = Data()
        for name in ["twilight.eml", "mimecast-weird-gzip.eml"] {
            var message = try Data(contentsOf: URL(fileURLWithPath: fixture("parsedmarc-samples/aggregate/\(name)")))
            if message.starts(with: Data("From ".utf8)), let newline = message.firstIndex(of: 0x0A) {
                message = message[(newline + 1)...]
            }
            mbox += Data("From MAILER-DAEMON Thu Dec  3 10:00:00 2026\n".utf8) + message + Data("\n".utf8)
        }
        let r = try CLI.run(["--db", db, "import", "--json", "-"], stdin: mbox)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(r.json as? [String: Any])
        #expect(json["documents"] as? Int == 2)
        #expect(json["imported"] as? Int == 2)
    }

    /// A report mail as Postfix's pipe with flag F hands it over: a "From " envelope line first,
    /// and a body line starting "From " that nothing quoted.
    static let postfixMail = """
        From reports@example.net Mon Mar  4 10:00:00 2024
        From: reports@example.net
        To: dmarc@example.com
        Subject: Report domain: example.com Submitter: example.net
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="BB"

        --BB
        Content-Type: text/plain

        This is an aggregate report.
        From 2024-03-03 00:00 to 2024-03-04 00:00 UTC we saw 15 messages.

        --BB
        Content-Type: application/gzip; name="example.net!example.com!1700000000!1700086399.xml.gz"
        Content-Disposition: attachment; filename="example.net!example.com!1700000000!1700086399.xml.gz"
        Content-Transfer-Encoding: base64

        H4sIADA/E2sC/+2WPW/CMBCGd34FYm9MgLYgHaZT1y7tHDnxJVjEH7IdSv99HRIgtFErVSpT4uXu
        kvf83j1LYHOQ5XiP1gmt1pM4mk7GqDLNhSrWk7fX57vlZENHkCPylGW7EFo02vpEomeceUZB2yJR
        TCJ9sQWQcwYomSgpe0qjDEiTnMSCUxsDuWQQWmFimSqCMMVCKBo/TtsHSFMBVLwpLx/mq1VoGnIg
        XSn56m4ERpci+0hMlZbCbbG+SwcziuKBSVNilGkZmjQ1MFRphUBM6PVNWQ+faRtaWP1OwenKZpgI
        Q+NpdDxALjXIdKU8DWM2wckI7llZBcu1EeGMdsKH3bfXdivAd0JSw5wL9ToEZ/I2r6OzwU5HcjQm
        OCovchGwUtgi42iT3Gp5PXL3BZArDav8NrHoqtK71sePW2s+bb21Sdf0H8TNhNdGSLv+3zjEPRxm
        A4ebc5j1cJgPHG7OYd7DYTFwuDmHRQ+H+4HDP3Aglx+WTzoqwC3jCAAA

        --BB--

        """

    @Test("ingest and import - read one piped mail as one message, a body line starting \"From \" included")
    func fromLineInBody() throws {
        let ingest = try CLI.run(["--db", db, "ingest", "--json"], stdin: Data(Self.postfixMail.utf8))
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let json = try #require(ingest.json as? [String: Any])
        #expect(json["documents"] as? Int == 1)
        #expect(json["reports"] as? Int == 1)
        let piped = try CLI.run(
            ["--db", "\(dir)/other.sqlite3", "import", "--json", "-"], stdin: Data(Self.postfixMail.utf8))
        let again = try #require(piped.json as? [String: Any])
        #expect(again["documents"] as? Int == 1)
        #expect(again["reports"] as? Int == 1)
    }

    @Test("An input that cannot be read counts as a failed document")
    func missingInput() throws {
        let r = try CLI.run(["--db", db, "import", "--json", "\(dir)/no-such-file.xml"])
        #expect(r.status == 1)
        let json = try #require(r.json as? [String: Any])
        #expect(json["documents"] as? Int == 1)
        #expect(json["failed"] as? Int == 1)
    }

    @Test("reparse retries failed documents")
    func reparse() throws {
        let broken = "\(dir)/broken.xml"
        try "<feedback><report_metadata>".write(toFile: broken, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["--db", db, "import", broken]).status == 1)
        let r = try CLI.run(["--db", db, "reparse", "--json"])
        #expect(r.status == 1)
        #expect((r.json as? [String: Any])?["failed"] as? Int == 1)
    }

    @Test("Hostile report content cannot write terminal escapes")
    func hostileContent() throws {
        let evil = "\(dir)/evil.xml"
        let xml = """
            <feedback><report_metadata><org_name>Evil\u{1B}[2J\u{1B}]0;pwned\u{07}</org_name><email>a@b.example</email>
            <report_id>x</report_id><date_range><begin>1</begin><end>2</end></date_range></report_metadata>
            <policy_published><domain>example.com</domain><p>none</p></policy_published>
            <record><row><source_ip>192.0.2.1</source_ip><count>1</count><policy_evaluated><disposition>none</disposition>
            <dkim>pass</dkim><spf>pass</spf></policy_evaluated></row><identifiers><header_from>example.com</header_from>
            </identifiers><auth_results></auth_results></record></feedback>
            """
        try xml.write(toFile: evil, atomically: true, encoding: .utf8)
        _ = try CLI.run(["--db", db, "import", evil])
        let r = try CLI.run(["--db", db, "reports"])
        #expect(r.status == 0)
        #expect(!r.stdout.contains("\u{1B}"))
        #expect(r.stdout.contains("Evil"))
    }

    @Test("record generate --json: the record, its reasons, and the authorisation records")
    func recordGenerate() throws {
        let r = try CLI.run([
            "record", "generate", "--domain", "example.com", "--policy", "reject", "--rua", "dmarc@reports.example.net",
            "--json",
        ])
        #expect(r.status == 0)
        let json = try #require(r.json as? [String: Any])
        #expect(json["name"] as? String == "_dmarc.example.com")
        #expect(json["value"] as? String == "v=DMARC1; p=reject; rua=mailto:dmarc@reports.example.net")
        #expect((json["explanations"] as? [String])?.isEmpty == false)
        let auth = try #require(json["authorization_records"] as? [[String: String]])
        #expect(auth.first?["name"] == "example.com._report._dmarc.reports.example.net")
    }

    @Test("check with a nameserver that is not there: one clear finding, exit 1, no hang")
    func checkUnreachable() throws {
        let r = try CLI.run(["check", "example.com", "--nameserver", "127.0.0.1:9", "--timeout", "1", "--json"])
        #expect(r.status == 1)
        let json = try #require(r.json as? [String: Any])
        let findings = try #require(json["findings"] as? [[String: String]])
        #expect(findings.count == 1)
        #expect(findings.first?["code"] == "dns-error")
        #expect(findings.first?["message"]?.contains("127.0.0.1:9") == true)
        for key in ["domain", "dmarc", "spf", "dkim", "findings"] { #expect(json[key] != nil, "missing \(key)") }
    }

    @Test("ingest: a report and a non-report are stored (exit 0); an unwritable database gives 75")
    func ingestExitCodes() throws {
        let report = try Data(contentsOf: URL(fileURLWithPath: fixture("parsedmarc-samples/aggregate/twilight.eml")))
        let good = try CLI.run(["--db", db, "ingest", "--json"], stdin: report)
        #expect(good.status == 0)
        #expect((good.json as? [String: Any])?["imported"] as? Int == 1)
        let mail = Data("From: a@example.com\nSubject: hello\n\nNot a report.\n".utf8)
        let other = try CLI.run(["--db", db, "ingest"], stdin: mail)
        #expect(other.status == 0)
        // A database under a regular file cannot be created, even by root.
        let blocker = "\(dir)/not-a-directory"
        try "x".write(toFile: blocker, atomically: true, encoding: .utf8)
        let failed = try CLI.run(["--db", "\(blocker)/db.sqlite3", "ingest"], stdin: report)
        #expect(failed.status == 75)
        #expect(failed.stderr.contains("retry"))
    }

    @Test("tls-reports --json: sessions and failures per policy domain")
    func tlsReports() throws {
        #expect(try CLI.run(["--db", db, "import", fixture("parsedmarc-samples/smtp_tls/rfc8460.json")]).status == 0)
        let r = try CLI.run(["--db", db, "tls-reports", "--json"])
        #expect(r.status == 0)
        let domains = try #require((r.json as? [String: Any])?["domains"] as? [[String: Any]])
        #expect(domains.first?["domain"] as? String == "company-y.example")
        #expect(domains.first?["failed_sessions"] as? Int == 303)
    }
}
