import DMARCCore
import Testing

@testable import DMARCIngest

/// Messages built here exercise the MIME shapes report senders use; the report inside is a corpus
/// file, so the expected totals are known.
@Suite("Mail messages: what a part is comes from its bytes")
struct MIMETests {
    static let xml = (try? Fixtures.text("corpus/parsedmarc-samples/aggregate/empty_reason.xml")) ?? ""

    static func base64(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i]
            let b1 = i + 1 < bytes.count ? bytes[i + 1] : 0
            let b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(table[Int(b0 >> 2)])
            out.append(table[Int((b0 & 3) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? table[Int((b1 & 15) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? table[Int(b2 & 63)] : UInt8(ascii: "="))
            i += 3
            if (i / 3) % 19 == 0 { out.append(0x0A) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func quotedPrintable(_ text: String) -> String {
        var out = ""
        var lineLength = 0
        for b in text.utf8 {
            let piece: String
            if b == 0x0A {
                out += "\n"
                lineLength = 0
                continue
            } else if b == UInt8(ascii: "=") || b >= 0x7F || b < 0x20 {
                let hex = String(b, radix: 16, uppercase: true)
                piece = "=" + (hex.count == 1 ? "0" + hex : hex)
            } else {
                piece = String(UnicodeScalar(b))
            }
            if lineLength + piece.count > 72 {
                out += "=\n"
                lineLength = 0
            }
            out += piece
            lineLength += piece.count
        }
        return out
    }

    func read(_ message: String) throws -> (reports: [ReportTotals], problems: [String], other: [FoundDocument]) {
        let dir = makeTemporaryDirectory()
        defer { removeTree(dir) }
        writeFile("\(dir)/m.eml", Array(message.utf8))
        let r = try readReports(file: "\(dir)/m.eml")
        return (r.reports, r.problems, r.other)
    }

    @Test("Quoted-printable XML with an RFC 2231 continued file name, labelled octet-stream")
    func quotedPrintableRFC2231() throws {
        let message = """
            From: dmarc@reporter.example
            To: rua@example.com
            Subject: Report Domain: example.com Submitter: example.org Report-ID: 1
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="b1"

            --b1
            Content-Type: text/plain

            A DMARC report is attached.
            --b1
            Content-Type: application/octet-stream
            Content-Disposition: attachment;
             filename*0*=UTF-8''example.org%21example.com%21;
             filename*1="1706159544!1706185733.xml"
            Content-Transfer-Encoding: quoted-printable

            \(Self.quotedPrintable(Self.xml))
            --b1--

            """
        let r = try read(message)
        #expect(r.problems.isEmpty, "\(r.problems)")
        #expect(r.reports.count == 1)
        #expect(r.reports.first?.messages == 2)
    }

    @Test("A gzip report inside a forwarded message/rfc822, base64 encoded, mislabelled text/plain")
    func nestedForward() throws {
        let gz = try Fixtures.bytes("corpus/parsedmarc-samples/extract_report/nice-input.xml.gz")
        let message = """
            From: admin@example.com
            Subject: Fwd: DMARC report
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="outer"

            --outer
            Content-Type: text/plain

            Forwarding this.
            --outer
            Content-Type: message/rfc822

            From: noreply-dmarc-support@google.com
            Subject: Report domain: example.com Submitter: google.com
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="inner"

            --inner
            Content-Type: text/plain; name="report.txt"
            Content-Transfer-Encoding: base64

            \(Self.base64(gz))
            --inner--
            --outer--

            """
        let r = try read(message)
        #expect(r.problems.isEmpty, "\(r.problems)")
        #expect(r.reports.count == 1)
    }

    @Test("A message whose whole body is the zip attachment")
    func nonMultipart() throws {
        let zip = try Fixtures.bytes("corpus/parsedmarc-samples/extract_report/nice-input.xml.zip")
        let message = """
            From: noreply-dmarc-support@google.com
            Subject: Report domain: example.com Submitter: google.com
            MIME-Version: 1.0
            Content-Type: application/zip; name="google.com!example.com!1!2.zip"
            Content-Transfer-Encoding: base64

            \(Self.base64(zip))

            """
        let r = try read(message)
        #expect(r.problems.isEmpty, "\(r.problems)")
        #expect(r.reports.count == 1)
    }

    @Test("Ordinary mail is recognised as not a report")
    func ordinaryMail() throws {
        let r = try read("From: a@example.com\nSubject: lunch?\nContent-Type: text/plain\n\nNoon?\n")
        #expect(r.reports.isEmpty)
        #expect(r.problems.isEmpty)
        guard case .noReport(_, let message)? = r.other.first else {
            Issue.record("expected noReport, got \(r.other)")
            return
        }
        #expect(message.contains("lunch?"))
    }

    @Test(
        "Every failure-report sample is recognised as a failure report",
        arguments: [
            "DMARC Failure Report for domain.de (mail-from=sharepoint@domain.de, ip=10.10.10.10).eml",
            "[Netease DMARC Failure Report] Rent Reminder.eml", "dmarc_ruf_report_linkedin.eml",
            "dmarc_ruf_report_linkedin.crlf.eml", "exim_plain_text_only_no_arf_part.eml",
        ])
    func failureReports(_ name: String) throws {
        var found: [FoundDocument] = []
        let path = Fixtures.path("corpus/parsedmarc-samples/failure/\(name)")
        // The LinkedIn samples start with an mbox "From " line; strip it as the mbox splitter does.
        var bytes = try Fixtures.bytes("corpus/parsedmarc-samples/failure/\(name)")
        if bytes.starts(with: Array("From ".utf8)) { bytes = Array(bytes.drop { $0 != 0x0A }.dropFirst()) }
        _ = path
        try DocumentExtractor(limits: IngestLimits()).examine(
            label: "", open: { MemoryStream(bytes) }, depth: 0, inMessage: false, into: &found)
        #expect(found.count == 1)
        guard case .failureReport? = found.first else {
            Issue.record("\(name): \(found)")
            return
        }
    }
}
