import Testing

@testable import DMARCCore

@Suite("Record parsers on hostile input")
struct RecordsHostileInputTests {
    /// A small deterministic generator (64-bit LCG), so a failure can be replayed.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
    }

    /// Strings built from record-like pieces and stray bytes.
    static func inputs(count: Int, seed: UInt64) -> [String] {
        let pieces = [
            "v=DMARC1", "v=spf1", "v=DKIM1", "v=STSv1", "v=TLSRPTv1", "v=BIMI1", "version: STSv1", ";", "=", ",", ":",
            " ", "\t", "\r\n", "!", "%", "%{", "}", "/", "//", "p=", "rua=", "mailto:", "https://", "@", "example.com",
            "include:", "ip4:", "ip6:", "::", "1", "0", "999999999999", "a", "mx", "-all", "~", "MIIB", "====",
            "é", "\u{0}", "\u{7F}", "mx: ", "*.", "max_age: ", "l=", "id=",
        ]
        var generator = Generator(state: seed)
        return (0..<count).map { _ in
            let length = Int(generator.next() % 40)
            return (0..<length).map { _ in pieces[Int(generator.next() % UInt64(pieces.count))] }.joined()
        }
    }

    @Test("Every parser returns, and a refused record always says why")
    func fuzz() {
        for text in Self.inputs(count: 3000, seed: 7) {
            let dmarc = DMARCRecord.parse(text)
            #expect(dmarc.record != nil || dmarc.findings.hasErrors)
            if let record = dmarc.record {
                // Rendering is canonical: rendering what a rendering parses to changes nothing.
                #expect(DMARCRecord.parse(record.render()).record?.render() == record.render())
            }
            let spf = SPFRecord.parse(text)
            #expect(spf.record != nil || spf.findings.isEmpty)
            let dkim = DKIMKeyRecord.parse(text)
            #expect(dkim.record != nil || dkim.findings.hasErrors)
            let sts = MTASTSRecord.parse(text)
            #expect(sts.record != nil || sts.findings.hasErrors)
            let policy = MTASTSPolicy.parse(text)
            #expect(policy.policy != nil || policy.findings.hasErrors)
            let tlsrpt = TLSRPTRecord.parse(text)
            #expect(tlsrpt.record != nil || tlsrpt.findings.hasErrors)
            let bimi = BIMIRecord.parse(text)
            #expect(bimi.record != nil || bimi.findings.hasErrors)
        }
    }

    @Test("Very long input is cheap and refused or flagged")
    func long() {
        let huge = "v=DMARC1; p=reject; rua=mailto:" + String(repeating: "a", count: 200_000) + "@example.com"
        #expect(DMARCRecord.parse(huge).findings.hasErrors)
        let spf = "v=spf1 " + String(repeating: "include:a.example.com ", count: 5000) + "-all"
        #expect(SPFRecord.parse(spf).findings.codes.contains("spf-record-too-long"))
        let key = "v=DKIM1; p=" + String(repeating: "QUFB", count: 10_000)
        #expect(DKIMKeyRecord.parse(key).findings.codes == ["dkim-invalid-key"])
    }
}
