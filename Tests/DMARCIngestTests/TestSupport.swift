import DMARCCore

@testable import DMARCIngest

#if canImport(Glibc)
    import Glibc
#endif
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Paths of the fixtures, found from this source file (tests never read the workspace corpus).
enum Fixtures {
    static let root: String = {
        let file = "\(#filePath)"
        let dir = file[..<file.lastIndex(of: "/")!]
        return "\(dir)/Fixtures"
    }()

    static func path(_ relative: String) -> String { "\(root)/\(relative)" }

    static func bytes(_ relative: String) throws -> [UInt8] {
        try FileStream(path: path(relative)).readAll(limit: 1 << 26, what: relative)
    }

    static func text(_ relative: String) throws -> String {
        String(decoding: try bytes(relative), as: UTF8.self)
    }
}

/// Totals of one report, as a sink collects them (the oracle's fields).
struct ReportTotals: Equatable, CustomStringConvertible {
    var header = AggregateReportHeader()
    var records = 0
    var messages: Int64 = 0
    var dmarcPass: Int64 = 0
    var dkimPass: Int64 = 0
    var spfPass: Int64 = 0
    var disposition: [String: Int64] = [:]

    var description: String {
        "\(header.policy.domain ?? "?") \(header.metadata.reportID ?? "?"): \(records) records, \(messages) messages, "
            + "dmarc \(dmarcPass) dkim \(dkimPass) spf \(spfPass) \(disposition)"
    }
}

/// A sink that keeps only totals, so tests can read reports without a store.
final class TotalsSink: AggregateReportSink {
    var reports: [ReportTotals] = []
    var current = ReportTotals()
    var records: [AggregateRecord] = []
    let keepRecords: Bool

    init(keepRecords: Bool = false) { self.keepRecords = keepRecords }

    func begin(_ header: AggregateReportHeader) throws -> Bool {
        current = ReportTotals(header: header)
        return true
    }

    func record(_ r: AggregateRecord) throws {
        current.records += 1
        current.messages += r.count
        if r.dmarcPass { current.dmarcPass += r.count }
        if r.dkimAligned { current.dkimPass += r.count }
        if r.spfAligned { current.spfPass += r.count }
        current.disposition[r.disposition ?? "", default: 0] += r.count
        if keepRecords { records.append(r) }
    }

    func finish(_ header: AggregateReportHeader) throws {
        current.header = header
        reports.append(current)
    }

    func abort() {
        current = ReportTotals()
        records.removeAll()
    }
}

/// Reads every aggregate report in a file the way `import` does, without a store.
func readReports(file: String, limits: IngestLimits = IngestLimits(), keepRecords: Bool = false) throws
    -> (reports: [ReportTotals], records: [AggregateRecord], problems: [String], other: [FoundDocument])
{
    var found: [FoundDocument] = []
    try DocumentExtractor(limits: limits).examine(
        label: "", open: { try FileStream(path: file) }, depth: 0, inMessage: false, into: &found)
    let sink = TotalsSink(keepRecords: keepRecords)
    var problems: [String] = []
    var other: [FoundDocument] = []
    for item in found {
        switch item {
        case .aggregate(_, let open):
            do {
                _ = try AggregateReportReader(limits: limits).read(open: open, sink: sink)
            } catch {
                problems.append("\(error)")
            }
        case .problem(_, let message):
            problems.append(message)
        default:
            other.append(item)
        }
    }
    return (sink.reports, sink.records, problems, other)
}

/// A fresh directory under /tmp, removed by the caller with `removeTree`.
func makeTemporaryDirectory() -> String {
    var template = Array("/tmp/dmarcwatch-test-XXXXXX".utf8CString)
    let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    return String(cString: p!)
}

func removeTree(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    precondition(fd >= 0, "cannot write \(path)")
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

func copyFile(_ from: String, _ to: String) throws {
    writeFile(to, try FileStream(path: from).readAll(limit: 1 << 26, what: from))
}

/// A source that hands out its bytes in uneven pieces and can fail after a given offset.
final class UnevenStream: ByteStream {
    let bytes: [UInt8]
    let failAt: Int?
    var offset = 0
    var step: Int

    /// `seed` sets the size of the first pieces, so tests can cut the same bytes differently.
    init(_ bytes: [UInt8], failAt: Int? = nil, seed: Int = 1) {
        self.bytes = bytes
        self.failAt = failAt
        step = seed
    }

    struct Broken: Error {}

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if let failAt, offset >= failAt { throw Broken() }
        step = step % 9_973 + 17
        var n = min(buffer.count, bytes.count - offset, step)
        if let failAt { n = min(n, failAt - offset) }
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
    }
}
