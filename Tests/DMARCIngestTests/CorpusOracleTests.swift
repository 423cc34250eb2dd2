import DMARCCore
import Testing

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

@testable import DMARCIngest

/// One line of `expected-aggregate.jsonl`: what parsedmarc 11.1.0 made of a corpus file.
struct OracleEntry: Decodable, Sendable, CustomTestStringConvertible {
    struct Report: Decodable, Sendable {
        var org_name: String
        var report_id: String
        var domain: String
        var begin: Int64
        var end: Int64
        var records: Int
        var messages: Int64
        var dmarc_pass: Int64
        var dkim_pass: Int64
        var spf_pass: Int64
        var disposition: [String: Int64]
    }

    var path: String
    var ok: Bool
    var error: String
    var reports: [Report]

    var testDescription: String { path }

    static let all: [OracleEntry] = {
        let text = (try? Fixtures.text("expected-aggregate.jsonl")) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONDecoder().decode(OracleEntry.self, from: Data($0.utf8))
        }
    }()
}

@Suite("Corpus against the parsedmarc oracle")
struct CorpusOracleTests {
    @Test("The oracle file is read")
    func oracleLoads() {
        #expect(OracleEntry.all.count == 56)
    }

    @Test("Every corpus report gives parsedmarc's totals", arguments: OracleEntry.all)
    func totalsMatch(_ entry: OracleEntry) throws {
        let result = try readReports(file: Fixtures.path("corpus/\(entry.path)"))
        guard entry.ok else {
            // parsedmarc rejects only the empty file; so must we, with a clear reason.
            #expect(result.reports.isEmpty)
            #expect(result.problems.contains { $0.contains("empty") }, "\(result.problems)")
            return
        }
        #expect(result.problems.isEmpty, "\(result.problems)")
        try #require(result.reports.count == entry.reports.count, "\(result.reports)")
        for (ours, expected) in zip(result.reports, entry.reports) {
            #expect(ours.header.policy.domain == expected.domain)
            #expect(ours.header.metadata.begin == expected.begin)
            #expect(ours.header.metadata.end == expected.end)
            #expect(ours.header.metadata.reportID == expected.report_id)
            #expect(ours.records == expected.records)
            #expect(ours.messages == expected.messages)
            #expect(ours.dmarcPass == expected.dmarc_pass)
            #expect(ours.dkimPass == expected.dkim_pass)
            #expect(ours.spfPass == expected.spf_pass)
            let dispositions = expected.disposition.filter { $0.value != 0 }
            #expect(ours.disposition.filter { $0.value != 0 } == dispositions)
            // parsedmarc lower-cases a name without spaces to its domain and fills an empty one
            // from the contact address; our reporter name keeps the report's spelling.
            let reporter = ours.header.metadata.displayReporter
            if expected.org_name.contains(" ") || !expected.org_name.contains(".") {
                #expect(reporter == expected.org_name)
            } else {
                #expect(reporter.lowercased() == expected.org_name)
            }
        }
    }
}
