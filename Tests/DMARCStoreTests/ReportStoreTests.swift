import DMARCCore
import Testing

@testable import DMARCStore

#if canImport(Glibc)
    import Glibc
#endif

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

@Suite("SQLite store")
struct ReportStoreTests {
    let dir: String
    var path: String { "\(dir)/store.sqlite3" }

    init() throws {
        dir =
            FileManager.default.temporaryDirectory.appendingPathComponent("dmarcwatch-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func header(id: String = "r1", begin: Int64 = 1_700_006_400, end: Int64 = 1_700_092_799) -> AggregateReportHeader {
        var h = AggregateReportHeader()
        h.metadata.orgName = "Reporter"
        h.metadata.email = "dmarc@reporter.example"
        h.metadata.reportID = id
        h.metadata.begin = begin
        h.metadata.end = end
        h.policy.domain = "example.com"
        h.policy.p = "none"
        return h
    }

    func record(_ ip: String, count: Int64, dkim: String = "pass", spf: String = "fail") -> AggregateRecord {
        var r = AggregateRecord()
        r.sourceIP = ip
        r.count = count
        r.disposition = "none"
        r.dkim = dkim
        r.spf = spf
        r.headerFrom = "example.com"
        r.dkimResults = [DKIMAuthResult(domain: "example.com", selector: "s1", result: dkim)]
        r.spfResults = [SPFAuthResult(domain: "example.com", scope: "mfrom", result: spf)]
        return r
    }

    @Test("Migrations run once; reopening keeps the schema and the data")
    func migrations() throws {
        do {
            let store = try ReportStore(path: path)
            let w = store.reportWriter(rawDocumentID: nil, sourceName: nil)
            #expect(try w.begin(header()))
            try w.record(record("192.0.2.1", count: 5))
            try w.finish(header())
        }
        let again = try ReportStore(path: path)
        #expect(try again.db.prepare("PRAGMA user_version").scalar() == Int64(ReportStore.schemaVersion))
        #expect(try again.reports(ReportFilter()).count == 1)
    }

    @Test("A report key already stored makes begin() say duplicate")
    func duplicateKey() throws {
        let store = try ReportStore(path: path)
        let w = store.reportWriter(rawDocumentID: nil, sourceName: nil)
        #expect(try w.begin(header()))
        try w.finish(header())
        let w2 = store.reportWriter(rawDocumentID: nil, sourceName: nil)
        #expect(try w2.begin(header()) == false)
        #expect(w2.wasDuplicate)
    }

    @Test("abort() rolls the whole report back")
    func abortRollsBack() throws {
        let store = try ReportStore(path: path)
        let w = store.reportWriter(rawDocumentID: nil, sourceName: nil)
        #expect(try w.begin(header()))
        for i in 0..<5000 { try w.record(record("192.0.2.\(i % 250)", count: 1)) }
        w.abort()
        #expect(try store.reports(ReportFilter()).isEmpty)
        #expect(try store.debugTotals().records == 0)
        #expect(try store.debugTotals().rollup == 0)
        // The store is usable afterwards.
        let w2 = store.reportWriter(rawDocumentID: nil, sourceName: nil)
        #expect(try w2.begin(header()))
        try w2.record(record("192.0.2.1", count: 2))
        try w2.finish(header())
        #expect(try store.debugTotals().records == 2)
    }

    @Test("A report with more rollup rows than fit in memory is spilled in sorted runs and merged exactly")
    func spilledRollup() throws {
        let store = try ReportStore(path: path)
        // Three times the in-memory limit of distinct sources, each seen twice (in different
        // runs), plus one source in every record's neighbourhood, so equal keys meet in the merge.
        let distinct = RollupAccumulator.batch * 3
        let h = header(begin: 1_700_006_400, end: 1_700_006_400 + 3 * 86_400)
        let w = store.reportWriter(rawDocumentID: nil, sourceName: nil)
        #expect(try w.begin(h))
        var expected: [String: Int64] = [:]
        for pass in 0..<2 {
            for i in 0..<distinct {
                let ip = "10.\(i >> 16).\((i >> 8) & 255).\(i & 255)"
                let count = Int64(i % 7 + 1 + pass)
                try w.record(record(ip, count: count))
                expected[ip, default: 0] += count
                if i % 1000 == 0 {
                    try w.record(record("192.0.2.1", count: 3))
                    expected["192.0.2.1", default: 0] += 3
                }
            }
        }
        try w.finish(h)
        // Spread over three days, each source's rows add up to its messages.
        var rows = 0
        var mismatches = 0
        try store.db.prepare("SELECT source_ip, SUM(messages), COUNT(*) FROM daily_rollup GROUP BY source_ip").query {
            row in
            rows += 1
            if expected[row.text(0) ?? ""] != row.int64(1) || row.int64(2) > 3 { mismatches += 1 }
        }
        #expect(rows == expected.count)
        #expect(mismatches == 0)
        let total = expected.values.reduce(0, +)
        #expect(try store.summary(ReportFilter()).first?.messages == total)
    }

    @Test("Spilled runs merge into one sorted sequence, equal keys summed, in chunks")
    func spillMerge() throws {
        let spill = try RollupSpill()
        func key(_ ip: String, day: Int64 = 1, dkim: String = "pass") -> RollupKey {
            RollupKey(day: day, sourceIP: ip, headerFrom: "example.com", disposition: "none", dkim: dkim, spf: "fail")
        }
        try spill.write(run: RollupRows([(key("192.0.2.1"), 1), (key("192.0.2.3"), 5), (key("192.0.2.3", day: 2), 7)]))
        try spill.write(
            run: RollupRows([(key("192.0.2.1"), 2), (key("192.0.2.2"), 4), (key("192.0.2.3", dkim: "fail"), 1)]))
        try spill.write(run: RollupRows([]))
        try spill.write(run: RollupRows([(key("192.0.2.3"), 10), (key("ünïcode.example"), Int64.max)]))
        try spill.write(run: RollupRows([(key("ünïcode.example"), 1)]))
        var chunks: [[(key: RollupKey, value: Int64)]] = []
        try spill.merge(chunk: 2) { chunks.append($0.decoded()) }
        let merged = chunks.flatMap { $0 }
        #expect(chunks.allSatisfy { $0.count <= 2 })
        #expect(
            merged.map(\.key.sourceIP) == [
                "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.3", "ünïcode.example", "192.0.2.3",
            ])
        #expect(merged.map(\.value) == [3, 4, 1, 15, Int64.max, 7])
        #expect(merged.map(\.key.dkim) == ["pass", "pass", "fail", "pass", "pass", "pass"])
    }

    @Test("Rollup keys sort as daily_rollup's primary key does (bytes, shorter first, days by number) and survive NULs")
    func rollupKeyOrder() throws {
        func key(_ day: Int64, _ ip: String, _ from: String = "example.com") -> RollupKey {
            RollupKey(day: day, sourceIP: ip, headerFrom: from, disposition: "none", dkim: "pass", spf: "fail")
        }
        // In SQLite's order: -1 < 0 < 2; "192.0.2.1" < "192.0.2.10" < "192.0.2.9"; "a" < "a\0" < "a\u{1}";
        // an NFD "é" (e + U+0301) before the precomposed one, and not equal to it.
        let keys = [
            key(-1, "9.9.9.9"), key(0, "192.0.2.1"), key(0, "192.0.2.10"), key(0, "192.0.2.9", "a"),
            key(0, "192.0.2.9", "a\0"), key(0, "192.0.2.9", "a\u{1}"), key(0, "192.0.2.9"),
            key(0, "192.0.2.9", "e\u{301}"), key(0, "192.0.2.9", "\u{E9}"), key(2, "1.1.1.1"),
        ]
        var table = RollupTable()
        for (i, k) in keys.reversed().enumerated() {
            RollupKeyCoding.encode(k).withUnsafeBytes { table.add(key: $0, value: Int64(i + 1)) }
        }
        RollupKeyCoding.encode(keys[1]).withUnsafeBytes { table.add(key: $0, value: 100) }
        let sorted = table.takeSorted().decoded()
        #expect(sorted.map(\.key) == keys)
        #expect(sorted[1].value == Int64(keys.count - 1) + 100)
        #expect(sorted.map(\.key.headerFrom)[4].utf8.count == 2)
        #expect(table.count == 0)
        // The same order from SQLite itself.
        let store = try ReportStore(path: path)
        try store.db.execute(
            "CREATE TEMP TABLE k (day INTEGER, ip TEXT, h TEXT, PRIMARY KEY (day, ip, h)) WITHOUT ROWID")
        let insert = try store.db.prepare("INSERT INTO k VALUES (?, ?, ?)")
        for k in keys.shuffled() {
            try insert.bind(k.day, at: 1)
            try insert.bind(k.sourceIP, at: 2)
            try insert.bind(k.headerFrom, at: 3)
            try insert.execute()
        }
        var fromSQLite: [RollupKey] = []
        try store.db.prepare("SELECT day, ip, h FROM k ORDER BY day, ip, h").query { row in
            fromSQLite.append(key(row.int64(0), row.text(1) ?? "", row.text(2) ?? ""))
        }
        #expect(fromSQLite == keys)
        // Many keys that share their first 16 bytes or differ only past them (the sort compares the
        // first 16 as two integers): the order is plain byte order of the encodings.
        var generator = SystemRandomNumberGenerator()
        var many: [RollupKey] = []
        for _ in 0..<3000 {
            let ip = "10.0.\(Int.random(in: 0..<3, using: &generator)).\(Int.random(in: 0..<40, using: &generator))"
            let from = ["a", "a.example", "", "b"].randomElement(using: &generator)!
            many.append(key(Int64.random(in: -2...2, using: &generator), ip, from))
        }
        var big = RollupTable()
        for k in many { RollupKeyCoding.encode(k).withUnsafeBytes { big.add(key: $0, value: 1) } }
        let expected = Set(many.map { RollupKeyCoding.encode($0) }).sorted { a, b in
            a.withUnsafeBytes { x in b.withUnsafeBytes { y in RollupKeyCoding.precedes(x, y) } }
        }
        let got = big.takeSorted()
        var gotKeys: [[UInt8]] = []
        got.forEach { k, _ in gotKeys.append(Array(k)) }
        #expect(gotKeys == expected)
        #expect(got.decoded().reduce(0) { $0 + $1.value } == Int64(many.count))
    }

    @Test("Summary: pass counts are the policy-evaluated ones; a three-day report is spread over its days")
    func summary() throws {
        let store = try ReportStore(path: path)
        let h = header(begin: 1_700_006_400, end: 1_700_006_400 + 3 * 86_400)
        let w = store.reportWriter(rawDocumentID: nil, sourceName: nil)
        #expect(try w.begin(h))
        try w.record(record("192.0.2.1", count: 9, dkim: "pass", spf: "fail"))
        try w.record(record("2001:db8::1", count: 3, dkim: "fail", spf: "fail"))
        try w.finish(h)
        let all = try #require(try store.summary(ReportFilter()).first)
        #expect(all.messages == 12)
        #expect(all.dmarcPass == 9 && all.dkimPass == 9 && all.spfPass == 0 && all.bothFail == 3)
        let firstDay = DayMath.day(of: 1_700_006_400)
        let oneDay = try #require(try store.summary(ReportFilter(fromDay: firstDay, toDay: firstDay)).first)
        #expect(oneDay.messages == 4)  // 9 and 3 spread evenly over three days
    }

    /// Bytes that compress but are not one repeated value, from a linear congruential generator.
    static func mixedBytes(_ count: Int, seed: UInt32) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1_103_515_245 &+ 12_345
            return UInt8(ascii: "a") + UInt8((state >> 16) % 8)
        }
    }

    @Test(
        "Raw documents are keyed by their SHA-256, hashed across batches of chunks in order; the same bytes are stored once"
    )
    func rawDedup() throws {
        let store = try ReportStore(path: path)
        // Ten 1 MiB chunks (the last 5 bytes), so three batches are hashed while others are read.
        let bytes = Self.mixedBytes((9 << 20) + 5, seed: 11)
        let id = try #require(
            try store.storeRaw(stream: MemoryStream(bytes), origin: "test", mediaType: "text/xml").storedID)
        // The digest as Python's hashlib computes it for the same bytes.
        #expect(
            try store.rawDocument(id: id)?.sha256 == "3ab4626f0db5a92e64b536761fb9c6606bbb734d73b425f15317593dcf15dc34")
        #expect(try store.rawDocument(id: id)?.size == Int64(bytes.count))
        let second = try store.storeRaw(stream: MemoryStream(bytes), origin: "test", mediaType: "text/xml")
        guard case .alreadyStored(let info) = second else {
            Issue.record("stored twice")
            return
        }
        #expect(info.id == id)
        #expect(try store.openRaw(id: id).readAll(limit: 10 << 20, what: "raw") == bytes)
        // Other bytes are another document; an empty one is stored too, with the empty digest.
        let other = try #require(
            try store.storeRaw(stream: MemoryStream(Array("abc".utf8)), origin: "t", mediaType: "text/xml").storedID)
        #expect(
            try store.rawDocument(id: other)?.sha256
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let empty = try #require(
            try store.storeRaw(stream: MemoryStream([]), origin: "t", mediaType: "text/xml").storedID)
        #expect(
            try store.rawDocument(id: empty)?.sha256
                == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try store.openRaw(id: empty).readAll(limit: 10, what: "raw") == [])
    }

    @Test("Raw chunks: plain documents as zstd frames, compressed ones and older chunks as gzip members; all read back")
    func rawCodecs() throws {
        let store = try ReportStore(path: path)
        // Not one repeated byte: a mixture that compresses, spanning three 1 MiB chunks.
        let bytes = Self.mixedBytes((2 << 20) + 12_345, seed: 7)
        func chunks(_ id: Int64) throws -> [[UInt8]] {
            var out: [[UInt8]] = []
            try store.db.prepare("SELECT data FROM raw_chunks WHERE document_id = ? ORDER BY seq").query([
                .integer(id)
            ]) { out.append($0.blob(0) ?? []) }
            return out
        }
        let plain = try #require(
            try store.storeRaw(stream: MemoryStream(bytes), origin: "t", mediaType: "text/xml").storedID)
        let plainChunks = try chunks(plain)
        #expect(plainChunks.count == 3)
        #expect(plainChunks.allSatisfy(ChunkCodec.isZstd))
        #expect(plainChunks.reduce(0) { $0 + $1.count } < bytes.count / 2)
        #expect(try store.openRaw(id: plain).readAll(limit: 4 << 20, what: "raw") == bytes)

        let packed = try #require(
            try store.storeRaw(stream: MemoryStream(bytes.reversed()), origin: "t", mediaType: "application/gzip")
                .storedID)
        #expect(try chunks(packed).allSatisfy { $0.starts(with: [0x1F, 0x8B]) })
        #expect(try store.openRaw(id: packed).readAll(limit: 4 << 20, what: "raw") == bytes.reversed())

        // A document stored before zstd: its chunks are gzip members, and a mixture reads too.
        let first = try bytes[0..<(1 << 20)].withUnsafeBytes { try gzipMember($0, level: 6) }
        try store.db.prepare("UPDATE raw_chunks SET data = ? WHERE document_id = ? AND seq = 0").run([
            .blob(first), .integer(plain),
        ])
        #expect(try store.openRaw(id: plain).readAll(limit: 4 << 20, what: "raw") == bytes)

        // A damaged frame is an error, not wrong bytes.
        var damaged = plainChunks[1]
        damaged[damaged.count / 2] ^= 0xFF
        damaged[damaged.count / 2 + 1] ^= 0xFF
        try store.db.prepare("UPDATE raw_chunks SET data = ? WHERE document_id = ? AND seq = 1").run([
            .blob(damaged), .integer(plain),
        ])
        #expect(throws: CompressionError.self) {
            _ = try store.openRaw(id: plain).readAll(limit: 4 << 20, what: "raw")
        }
    }

    @Test("Enrichment candidates: recent addresses from the rollup, without fresh entries; daily totals kept")
    func enrichmentCandidates() throws {
        let store = try ReportStore(path: path)
        for (id, ip, begin) in [("old", "192.0.2.1", Int64(1_500_000_000)), ("new", "192.0.2.2", Int64(1_700_006_400))]
        {
            let w = store.reportWriter(rawDocumentID: nil, sourceName: nil)
            let h = header(id: id, begin: begin, end: begin + 86_399)
            #expect(try w.begin(h))
            try w.record(record(ip, count: 3))
            try w.record(record("192.0.2.9", count: 1, dkim: "fail"))
            try w.finish(h)
        }
        let since = DayMath.day(of: 1_700_006_400) - 5
        #expect(Set(try store.recentAddressesNeedingEnrichment(sinceDay: since)) == ["192.0.2.2", "192.0.2.9"])
        #expect(Set(try store.addressesNeedingEnrichment()) == ["192.0.2.1", "192.0.2.2", "192.0.2.9"])
        try store.saveIPInfo([IPInfo(ip: "192.0.2.9", ptr: nil, forwardConfirmed: false, baseDomain: nil, problem: nil)]
        )
        #expect(try store.recentAddressesNeedingEnrichment(sinceDay: since) == ["192.0.2.2"])
        #expect(try store.recentAddressesNeedingEnrichment(sinceDay: since, limit: 0).isEmpty)
        // The per-domain daily totals the dashboard reads agree with the rollup.
        let series = try #require(
            try store.domainSeries(domains: ["example.com"], fromDay: since, toDay: since + 10).first)
        #expect(series.total.messages == 4)
        #expect(series.total.dmarcPass == 3)
        #expect(series.total.dkimPass == 3)
        #expect(series.total.bothFail == 1)
    }

    @Test(
        "Auth results: the first of each kind in the record's row, the rest beside it, read back in order; rows of the old layout too"
    )
    func authResultsLayout() throws {
        let store = try ReportStore(path: path)
        var two = record("192.0.2.1", count: 5)
        two.dkimResults.append(
            DKIMAuthResult(domain: "esp.example", selector: "k2", result: "fail", humanResult: "bad"))
        two.spfResults.append(SPFAuthResult(domain: "helo.example", scope: "helo", result: "pass"))
        var none = record("192.0.2.2", count: 1)
        none.dkimResults = []
        none.spfResults = []
        var empty = record("192.0.2.3", count: 2)
        empty.dkimResults = [DKIMAuthResult()]
        let w = store.reportWriter(rawDocumentID: nil, sourceName: nil)
        #expect(try w.begin(header()))
        for r in [two, none, empty] { try w.record(r) }
        try w.finish(header())
        let reportID = try #require(try store.db.prepare("SELECT id FROM reports").scalar())
        func stored() throws -> [[String]] {
            let d = try #require(try store.reportDetail(id: reportID))
            return d.records.map { r in
                r.dkimResults.map {
                    "\($0.domain ?? "-") \($0.selector ?? "-") \($0.result ?? "-") \($0.humanResult ?? "-")"
                }
                    + r.spfResults.map { "\($0.domain ?? "-") \($0.scope ?? "-") \($0.result ?? "-")" }
            }
        }
        let expected = [
            ["example.com s1 pass -", "esp.example k2 fail bad", "example.com mfrom fail", "helo.example helo pass"],
            [], ["- - - -", "example.com mfrom fail"],
        ]
        #expect(try stored() == expected)
        // Only the second results have rows of their own.
        #expect(try store.db.prepare("SELECT count(*) FROM dkim_results").scalar() == 1)
        #expect(try store.db.prepare("SELECT count(*) FROM spf_results").scalar() == 1)
        // A record written before migration 8 keeps all its results in the side tables.
        try store.db.execute(
            """
            UPDATE records SET auth_inline = 0, dkim_domain = NULL, dkim_selector = NULL, dkim_result = NULL,
              spf_domain = NULL, spf_scope = NULL, spf_result = NULL WHERE source_ip = '192.0.2.1';
            INSERT INTO dkim_results (record_id, seq, domain, selector, result)
              SELECT id, 0, 'example.com', 's1', 'pass' FROM records WHERE source_ip = '192.0.2.1';
            INSERT INTO spf_results (record_id, seq, domain, scope, result)
              SELECT id, 0, 'example.com', 'mfrom', 'fail' FROM records WHERE source_ip = '192.0.2.1';
            """)
        #expect(try stored() == expected)
    }

    @Test("Early writeback: only a regular file (not a FIFO or a link), asked once every few batches")
    func writeBehind() throws {
        #expect(WriteBehind(path: "\(dir)/no-such-file-wal") == nil)
        // A FIFO would block an ordinary open while the write lock is held; a link is not followed.
        #expect(mkfifo("\(dir)/fifo-wal", 0o600) == 0)
        #expect(WriteBehind(path: "\(dir)/fifo-wal") == nil)
        let wal = "\(dir)/plain-wal"
        let fd = open(wal, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        close(fd)
        #expect(symlink(wal, "\(dir)/link-wal") == 0)
        #expect(WriteBehind(path: "\(dir)/link-wal") == nil)
        let behind = try #require(WriteBehind(path: wal))
        for _ in 1..<WriteBehind.every { behind.batchWritten() }
        #expect(behind.batches == WriteBehind.every - 1)
        behind.batchWritten()
        #expect(behind.batches == 0)
    }

    @Test("The WAL and the file read back are SQLite's own names, also when the database is reached by a link")
    func fileNames() throws {
        let store = try ReportStore(path: path)
        #expect(store.db.walFileName == path + "-wal")
        #expect(symlink(path, "\(dir)/link.sqlite3") == 0)
        let linked = try ReportStore(path: "\(dir)/link.sqlite3")
        #expect(linked.db.fileName == path)
        #expect(linked.db.walFileName == path + "-wal")
        let id = try #require(
            try linked.storeRaw(
                stream: MemoryStream(Array("<feedback/>".utf8)), origin: "t", mediaType: "application/xml"
            ).storedID)
        #expect(try linked.openRaw(id: id).readAll(limit: 100, what: "raw") == Array("<feedback/>".utf8))
    }

    @Test("The published policy comes from the newest report, but not from one dated in the future")
    func publishedPolicyIgnoresFutureReports() throws {
        let store = try ReportStore(path: path)
        for (id, p, begin) in [("now", "none", Int64(1_700_006_400)), ("forged", "reject", Int64(7_000_000_000))] {
            var h = header(id: id, begin: begin, end: begin + 86_399)
            h.policy.p = p
            let w = store.reportWriter(rawDocumentID: nil, sourceName: nil)
            #expect(try w.begin(h))
            try w.record(record("192.0.2.1", count: 1))
            try w.finish(h)
        }
        #expect(try store.publishedPolicy(domain: "example.com")?.p == "none")
    }
}

@Suite("SQLite store: the source page's queries")
struct SourceActivityPlanTests {
    @Test("the days an address sent on are key lookups in the rollup, not a scan of the period per day")
    func plan() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dmarcwatch-plan-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try ReportStore(path: "\(dir)/plan.sqlite3")
        for domains in [nil, ["a.example", "b.example"]] {
            let (cond, values) = ReportFilter(domains: domains, fromDay: 1, toDay: 90).conditions(prefix: "d.")
            var plan: [String] = []
            try store.db.prepare("EXPLAIN QUERY PLAN " + ReportStore.sourceRollupSQL(cond)).query(
                [.text("192.0.2.1")] + values
            ) { plan.append($0.text(3) ?? "") }
            #expect(
                plan.contains { $0.contains("SEARCH r USING PRIMARY KEY (domain=? AND day=? AND source_ip=?)") },
                "\(plan)")
        }
    }
}
