import DMARCCore
import DMARCStore
import Testing

@testable import DMARCIngest

@Suite("Limits on untrusted input: each hit gives a clear error, and the rest goes on")
struct LimitsTests {
    func importing(_ paths: [String], limits: IngestLimits = IngestLimits()) throws -> ImportSummary {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        let store = try ReportStore(path: "\(dir)/limits.sqlite3")
        return Importer(store: store, limits: limits).importPaths(paths)
    }

    @Test("A gzip bomb is refused by the compression-ratio limit")
    func gzipBomb() throws {
        let summary = try importing([Fixtures.path("generated/gzip-bomb.xml.gz")])
        #expect(summary.failed == 1)
        #expect(summary.failures.first?.error.contains("1000:1") == true, "\(summary.failures)")
    }

    @Test("A zip bomb is refused by the compression-ratio limit on its entry")
    func zipBomb() throws {
        let summary = try importing([Fixtures.path("generated/zip-bomb.zip")])
        #expect(summary.failed == 1)
        #expect(summary.failures.first?.error.contains("1000:1") == true, "\(summary.failures)")
    }

    @Test("The decompressed-size limit is enforced")
    func documentSize() throws {
        var limits = IngestLimits()
        limits.documentBytes = 1 << 20
        limits.compressionRatio = 1_000_000
        let summary = try importing([Fixtures.path("generated/gzip-bomb.xml.gz")], limits: limits)
        #expect(summary.failures.first?.error.contains("larger than the limit of 1 MiB") == true, "\(summary.failures)")
    }

    @Test("A zip with more entries than allowed is refused")
    func zipEntries() throws {
        let summary = try importing([Fixtures.path("generated/too-many-entries.zip")])
        #expect(summary.failed == 1)
        #expect(summary.failures.first?.error.contains("more than 100 entries") == true, "\(summary.failures)")
    }

    @Test("An oversized message is refused, and the next file is still imported")
    func messageSize() throws {
        var limits = IngestLimits()
        limits.messageBytes = 4096
        let big = Fixtures.path("corpus/parsedmarc-samples/aggregate/twilight.eml")
        let good = Fixtures.path("corpus/parsedmarc-samples/aggregate/empty_reason.xml")
        let summary = try importing([big, good], limits: limits)
        #expect(summary.failed == 1)
        #expect(summary.imported == 1)
        #expect(summary.failures.first?.source == big)
        #expect(
            summary.failures.first?.error.contains("the message is larger than the limit") == true,
            "\(summary.failures)")
    }

    @Test("Deep MIME nesting stops at the depth limit")
    func depth() throws {
        var limits = IngestLimits()
        limits.mimeDepth = 0
        let result = try readReports(
            file: Fixtures.path("corpus/parsedmarc-samples/aggregate/mimecast-weird-gzip.eml"), limits: limits)
        #expect(result.reports.isEmpty)
        #expect(result.problems.contains { $0.contains("nested") }, "\(result.problems)")
    }

    @Test("Limit settings: sizes with units, counts, and clear errors")
    func settings() throws {
        let env = ["DMARCWATCH_MAX_MESSAGE": "2 MiB", "DMARCWATCH_MAX_DOCUMENT": "3g", "DMARCWATCH_MAX_ZIP_ENTRIES": "7"]
        let limits = try IngestLimits(settings: { env[$0] })
        #expect(limits.messageBytes == 2 << 20)
        #expect(limits.documentBytes == 3 << 30)
        #expect(limits.zipEntries == 7)
        #expect(limits.recordsPerReport == IngestLimits().recordsPerReport)
        #expect(IngestLimits.parseSize("512") == 512)
        #expect(IngestLimits.parseSize("64KiB") == 65_536)
        for bad in ["", "MiB", "-1", "1.5MiB", "9999999999999999999", "99999999999GiB", "12 apples"] {
            #expect(IngestLimits.parseSize(bad) == nil, "\(bad)")
        }
        #expect(throws: IngestError.self) { try IngestLimits(settings: { $0 == "DMARCWATCH_MAX_RECORDS" ? "0" : nil }) }
        #expect(throws: IngestError.self) { try IngestLimits(settings: { $0 == "DMARCWATCH_MAX_MIME_DEPTH" ? "5000" : nil }) }
        #expect(try IngestLimits(settings: { _ in "" }).messageBytes == IngestLimits().messageBytes)
    }
}
