import DMARCCore
import DMARCStore
import Testing

@testable import DMARCIngest

#if canImport(Glibc)
    import Glibc
#endif

/// Import runs against a real SQLite file in a temporary directory.
@Suite("Import pipeline with a real SQLite store")
struct ImportPipelineTests {
    /// A folder of the corpus's aggregate reports plus the bad, failure and TLS-RPT files.
    static let mixedInputs = [
        "corpus/parsedmarc-samples/aggregate", "corpus/parsedmarc-samples/aggregate_invalid",
        "corpus/parsedmarc-samples/empty.xml", "corpus/parsedmarc-samples/failure",
        "corpus/parsedmarc-samples/smtp_tls",
    ]

    func withStore<T>(_ body: (ReportStore, String) throws -> T) throws -> T {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let store = try ReportStore(path: "\(dir)/test.sqlite3")
        return try body(store, dir)
    }

    /// Every table's rows, as text, to compare database states.
    func snapshot(_ path: String) throws -> [String] {
        let check = try ReportStore(path: path)
        return try check.debugSnapshot()
    }

    @Test("A batch with bad files still imports every good one, and names each bad file")
    func batchWithBadFiles() throws {
        try withStore { store, _ in
            let summary = Importer(store: store).importPaths(Self.mixedInputs.map(Fixtures.path))
            // 18 aggregate documents and 4 TLS-RPT documents.
            #expect(summary.imported == 22)
            #expect(summary.tlsReports == 4)
            #expect(summary.failed == 1)
            #expect(summary.failures.map(\.source) == [Fixtures.path("corpus/parsedmarc-samples/empty.xml")])
            #expect(summary.failures.first?.error.contains("empty") == true)
            // Five failure reports are recognised and set aside.
            #expect(summary.ignored == 5)
            let totals = try store.summary(ReportFilter()).reduce(Int64(0)) { $0 + $1.messages }
            #expect(totals == summary.messages)
        }
    }

    @Test("Importing a folder twice: every document is a duplicate and the database is unchanged")
    func importTwice() throws {
        try withStore { store, dir in
            let first = Importer(store: store).importPaths(Self.mixedInputs.map(Fixtures.path))
            let before = try snapshot("\(dir)/test.sqlite3")
            let second = Importer(store: store).importPaths(Self.mixedInputs.map(Fixtures.path))
            let after = try snapshot("\(dir)/test.sqlite3")
            #expect(second.documents == first.documents)
            #expect(second.duplicates == second.documents)
            #expect(second.imported == 0 && second.failed == 0 && second.records == 0)
            #expect(before == after)
        }
    }

    @Test("The same report in another wrapper is a duplicate by report key")
    func sameReportOtherWrapper() throws {
        try withStore { store, _ in
            let importer = Importer(store: store)
            importer.importPaths([Fixtures.path("corpus/parsedmarc-samples/extract_report/nice-input.xml")])
            let again = Importer(store: store).importPaths([
                Fixtures.path("corpus/parsedmarc-samples/extract_report/nice-input.xml.gz"),
                Fixtures.path("corpus/parsedmarc-samples/extract_report/nice-input.xml.zip"),
            ])
            #expect(again.duplicates == 2)
            let stored = try store.reports(ReportFilter()).count
            #expect(stored == 1)
        }
    }

    @Test("A failed document keeps its raw bytes and error, and reparse retries it")
    func failedKeepsBytes() throws {
        try withStore { store, dir in
            let bad = "\(dir)/broken.xml"
            let good = try Fixtures.bytes("corpus/parsedmarc-samples/aggregate/empty_reason.xml")
            writeFile(bad, Array(good.prefix(400)))
            let summary = Importer(store: store).importPaths([bad])
            #expect(summary.failed == 1)
            #expect(summary.failures.first?.source == bad)
            let failed = try store.rawDocuments(status: [.failed])
            #expect(failed.count == 1)
            #expect(failed.first?.error?.isEmpty == false)
            let kept = try store.openRaw(id: failed[0].id).readAll(limit: 1 << 20, what: "raw")
            #expect(kept == Array(good.prefix(400)))
            // Still broken: reparse keeps it failed.
            let retry = try Importer(store: store).reparse()
            #expect(retry.failed == 1)
            let stillFailed = try store.rawDocuments(status: [.failed]).count
            #expect(stillFailed == 1)
        }
    }

    @Test("A document that failed under a limit is imported by reparse once the limit is raised")
    func reparseFailed() throws {
        try withStore { store, _ in
            var tight = IngestLimits()
            tight.recordsPerReport = 1
            let path = Fixtures.path("generated/two-reports-and-a-note.zip")
            let first = Importer(store: store, limits: tight).importPaths([path])
            #expect(first.failed == 1)
            let failed = try store.rawDocuments(status: [.failed])
            #expect(failed.count == 1)
            #expect(failed.first?.error?.contains("limit") == true, "\(failed.first?.error ?? "")")
            let retry = try Importer(store: store).reparse()
            #expect(retry.failed == 0)
            // An entry within the limit was stored the first time; reparse adds the other.
            #expect(first.reports + retry.reports == 2)
            #expect(retry.reports >= 1)
            let after = try store.rawDocument(id: failed[0].id)?.status
            #expect(after == .parsed)
            // Both reports once: what the failed attempt began was rolled back.
            let again = try Importer(store: store).importPaths([path])
            #expect(again.duplicates == 1)
            let reports = try store.summary(ReportFilter()).reduce(0) { $0 + $1.reports }
            #expect(reports == 2)
        }
    }

    @Test("An interrupted document of several chunks is parsed from the store while its report is written")
    func reparseFromChunks() throws {
        try withStore { store, _ in
            // Over 4 MiB: the parser's thread reads stored chunk after chunk while the writer
            // queue inserts records (each on a connection of its own).
            let xml = Array(XMLEventPipeTests.report(records: 9_000, longText: 16).utf8)
            #expect(xml.count > 4 << 20)
            let id = try #require(
                try store.storeRaw(stream: MemoryStream(xml), origin: "test", mediaType: "application/xml").storedID)
            let reference = TotalsSink()
            _ = try AggregateReportReader(limits: IngestLimits()).read(open: { MemoryStream(xml) }, sink: reference)
            let summary = try Importer(store: store).reparse()
            #expect(summary.imported == 1)
            #expect(summary.records == 9_000)
            #expect(summary.messages == reference.reports.first?.messages)
            #expect(try store.rawDocument(id: id)?.status == .parsed)
        }
    }

    @Test("Bytes after a report's gzip data are ignored with a warning on the report")
    func gzipTrailingBytes() throws {
        // Mimecast's report: its gzip data is followed by a line break.
        let sink = TotalsSink()
        let scan = try ReportScanner().scan(
            path: Fixtures.path("corpus/parsedmarc-samples/aggregate/mimecast-weird-gzip.eml"), sink: sink)
        #expect(scan.problems.isEmpty)
        let warnings = sink.reports.first?.header.warnings.map(\.message) ?? []
        #expect(warnings.contains { $0.hasSuffix("byte(s) after the gzip data ignored") }, "\(warnings)")
    }

    @Test("Failure reports are counted as ignored and their bytes are not kept")
    func failureReportsDropped() throws {
        try withStore { store, _ in
            let summary = Importer(store: store).importPaths([Fixtures.path("corpus/parsedmarc-samples/failure")])
            #expect(summary.ignored == 5)
            #expect(summary.imported == 0)
            for doc in try store.rawDocuments(status: [.ignored]) {
                let bytes = try store.openRaw(id: doc.id).readAll(limit: 1 << 20, what: "raw")
                #expect(bytes.isEmpty)
            }
        }
    }

    @Test("Raw bytes round-trip through compressed chunks")
    func rawRoundTrip() throws {
        try withStore { store, _ in
            let path = Fixtures.path("corpus/parsedmarc-samples/aggregate/!large-example.com!1711897200!1711983600.xml")
            Importer(store: store).importPaths([path])
            let doc = try #require(try store.rawDocuments(status: [.parsed]).first)
            let stored = try store.openRaw(id: doc.id).readAll(limit: 1 << 24, what: "raw")
            let original = try Fixtures.bytes(String(path.dropFirst(Fixtures.root.count + 1)))
            #expect(stored == original)
        }
    }

    @Test("A zip with several reports imports every entry; a non-report entry is a warning")
    func zipEntries() throws {
        try withStore { store, _ in
            let summary = Importer(store: store).importPaths([Fixtures.path("generated/two-reports-and-a-note.zip")])
            #expect(summary.reports == 2)
            #expect(summary.failed == 0)
        }
    }

    @Test("A UTF-16 report, either byte order, is read as the same report as its UTF-8 text")
    func utf16() throws {
        let xml = MalformedInputTests.report().replacingOccurrences(
            "<org_name>Reporter", "<org_name>日本の Reporter 📨"
        ).replacingOccurrences("encoding=\"UTF-8\"", "encoding=\"UTF-16\"")
        for bigEndian in [false, true] {
            var bytes: [UInt8] = bigEndian ? [0xFE, 0xFF] : [0xFF, 0xFE]
            for unit in xml.utf16 {
                let pair = [UInt8(unit >> 8), UInt8(unit & 0xFF)]
                bytes += bigEndian ? pair : pair.reversed()
            }
            #expect(ContentKind.sniff(Array(bytes.prefix(512))) == .xmlUTF16)
            // Read in pieces of every size, so code units and surrogate pairs are cut.
            for seed in 1...20 {
                let out = try TransformStream(source: UnevenStream(bytes, seed: seed), transform: UTF16ToUTF8()).readAll(limit: 1 << 20, what: "")
                #expect(String(decoding: out, as: UTF8.self) == xml.replacingOccurrences("UTF-16", "UTF-8"))
            }
            let sink = TotalsSink()
            let scan = try ReportScanner().scan(bytes: bytes, sink: sink)
            #expect(scan.problems.isEmpty, "\(scan.problems)")
            #expect(sink.reports.first?.header.metadata.orgName == "日本の Reporter 📨")
            #expect(sink.reports.first?.messages == 3)
        }
    }

    @Test("A mail whose attachment is named or typed as a report but holds none fails, naming the part")
    func unreadableAttachment() throws {
        try withStore { store, dir in
            let mail = """
                From: noreply-dmarc-support@google.com\r
                Subject: Report domain: example.com Submitter: google.com\r
                MIME-Version: 1.0\r
                Content-Type: multipart/mixed; boundary="b"\r
                \r
                --b\r
                Content-Type: text/plain\r
                \r
                This is an aggregate report.\r
                --b\r
                Content-Type: application/zip; name="google.com!example.com!1!2.zip"\r
                Content-Disposition: attachment; filename="google.com!example.com!1!2.zip"\r
                Content-Transfer-Encoding: base64\r
                \r
                bm90IGEgemlwIGF0IGFsbA==\r
                --b--\r

                """
            writeFile("\(dir)/bad.eml", Array(mail.utf8))
            let summary = Importer(store: store).importPaths(["\(dir)/bad.eml"])
            #expect(summary.failed == 1)
            #expect(summary.ignored == 0)
            let error = summary.failures.first?.error ?? ""
            #expect(error.contains("google.com!example.com!1!2.zip") && error.contains("not XML"), "\(error)")
            let failed = try store.rawDocuments(status: [.failed])
            #expect(failed.count == 1)
        }
    }

    @Test(
        "mbox separators are From lines with an asctime date, not body lines that start with From",
        arguments: [
            ("From MAILER-DAEMON Thu Dec  3 10:00:00 2026\n", true), ("From - Sat Jan 03 01:05:34 1996\n", true),
            ("From a@b.example Mon Mar  4 10:00 2024\n", true), ("From a@b Tue Feb 11 08:00:00 +0100 2025\r\n", true),
            ("From 2024-03-03 00:00 to 2024-03-04 00:00 UTC we saw 15 messages.\n", false),
            ("From here on, 3 reports are late.\n", false), ("From: someone@example.com\n", false),
            ("From a@b Thu Dec 3\n", false), ("From sun Thu Dec  3 10:00:00 2026\n", true),
            ("From me Mon Jan 5 10:00 to Fri Jan 9\n", false), ("From a@b Thu Dec +3 10:00:00 2026\n", false),
        ])
    func mboxSeparator(_ line: String, _ isSeparator: Bool) {
        #expect(Importer.isMboxSeparator(Array(line.utf8)) == isSeparator)
    }

    @Test("An mbox is split into messages, each its own document")
    func mbox() throws {
        try withStore { store, dir in
            var mbox: [UInt8] = []
            for name in ["twilight.eml", "mimecast-weird-gzip.eml"] {
                var message = try Fixtures.bytes("corpus/parsedmarc-samples/aggregate/\(name)")
                if message.starts(with: Array("From ".utf8)) {
                    message = Array(message.drop { $0 != 0x0A }.dropFirst())
                }
                mbox += Array("From MAILER-DAEMON Thu Dec  3 10:00:00 2026\n".utf8) + message + [0x0A]
            }
            writeFile("\(dir)/reports.mbox", mbox)
            let summary = Importer(store: store).importPaths(["\(dir)/reports.mbox"])
            #expect(summary.documents == 2)
            #expect(summary.imported == 2)
        }
    }

    @Test("A Maildir's cur and new messages are imported; its index files are not")
    func maildir() throws {
        try withStore { store, dir in
            let md = "\(dir)/Maildir"
            for sub in ["", "/cur", "/new", "/tmp"] { mkdir(md + sub, 0o755) }
            try copyFile(Fixtures.path("corpus/parsedmarc-samples/aggregate/twilight.eml"), "\(md)/cur/1.host:2,S")
            try copyFile(
                Fixtures.path("corpus/parsedmarc-samples/aggregate/mimecast-weird-gzip.eml"), "\(md)/new/2.host")
            writeFile("\(md)/dovecot-uidlist", Array("3 V1 N3\n".utf8))
            let summary = Importer(store: store).importPaths([md])
            #expect(summary.documents == 2)
            #expect(summary.imported == 2)
            #expect(summary.failed == 0)
        }
    }

    @Test("Daily rollup totals equal the records' totals, also for reports spanning days")
    func rollupExact() throws {
        try withStore { store, _ in
            Importer(store: store).importPaths(Self.mixedInputs.map(Fixtures.path))
            let (records, rollup) = try store.debugTotals()
            #expect(records == rollup)
            #expect(records > 0)
        }
    }

    @Test("A symbolic-link loop in a folder is walked once")
    func symlinkLoop() throws {
        try withStore { store, dir in
            let folder = "\(dir)/reports"
            mkdir(folder, 0o755)
            try copyFile(Fixtures.path("corpus/parsedmarc-samples/aggregate/empty_reason.xml"), "\(folder)/r.xml")
            symlink(".", "\(folder)/loop")
            let summary = Importer(store: store).importPaths([folder])
            #expect(summary.documents == 1)
            #expect(summary.imported == 1)
        }
    }

    @Test("A zip inside a zip is refused, not unpacked")
    func zipInZip() throws {
        try withStore { store, _ in
            let summary = Importer(store: store).importPaths([Fixtures.path("generated/zip-in-zip.zip")])
            #expect(summary.failed == 1)
            #expect(summary.failures.first?.error.contains("inside a zip") == true, "\(summary.failures)")
        }
    }
}
