import DMARCCore
import Testing

@testable import DMARCIngest

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One line of `expected-aggregate.jsonl`: what parsedmarc 11.1.0 made of a corpus file.
struct OracleEntry: Decodable, Sendable, CustomTestStringConvertible {
    struct Report: Decodable, Sendable {
        var orgName: String
        var reportID: String
        var domain: String
        var begin: Int64
        var end: Int64
        var records: Int
        var messages: Int64
        var dmarcPass: Int64
        var dkimPass: Int64
        var spfPass: Int64
        var disposition: [String: Int64]

        enum CodingKeys: String, CodingKey {
            case orgName = "org_name"
            case reportID = "report_id"
            case domain, begin, end, records, messages
            case dmarcPass = "dmarc_pass"
            case dkimPass = "dkim_pass"
            case spfPass = "spf_pass"
            case disposition
        }
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
            #expect(ours.header.metadata.reportID == expected.reportID)
            #expect(ours.records == expected.records)
            #expect(ours.messages == expected.messages)
            #expect(ours.dmarcPass == expected.dmarcPass)
            #expect(ours.dkimPass == expected.dkimPass)
            #expect(ours.spfPass == expected.spfPass)
            let dispositions = expected.disposition.filter { $0.value != 0 }
            #expect(ours.disposition.filter { $0.value != 0 } == dispositions)
            // parsedmarc lower-cases a name without spaces to its domain and fills an empty one
            // from the contact address; our reporter name keeps the report's spelling.
            let reporter = ours.header.metadata.displayReporter
            if expected.orgName.contains(" ") || !expected.orgName.contains(".") {
                #expect(reporter == expected.orgName)
            } else {
                #expect(reporter.lowercased() == expected.orgName)
            }
        }
    }
}
