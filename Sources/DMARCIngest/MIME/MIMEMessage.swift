internal import CGMime
internal import CShims

/// A leaf part of a mail message, decoded from its transfer encoding.
struct MIMELeaf {
    /// Where it sits, for messages: `part 2 "report.xml.gz"`.
    var label: String
    var contentType: String
    var filename: String?
    var bytes: [UInt8]
}

/// What the MIME walk found in one message.
struct MIMEWalk {
    var subject: String?
    var leaves: [MIMELeaf] = []
    /// A `message/feedback-report` part or a `multipart/report; report-type=feedback-report`
    /// container: this is a failure (ruf) report.
    var isFailureReport = false
    var truncatedDepth = false
    /// The top-level content type and its `report-type` parameter.
    var topType = ""
    var topReportType: String?

    /// A message that looks like a failure report although it has no `message/feedback-report`
    /// part: a `multipart/report` that is not TLS-RPT (Exim sends text only), or a subject that
    /// says so. Only used when no aggregate or TLS-RPT document was found in it.
    var looksLikeFailureReport: Bool {
        if isFailureReport { return true }
        if topType == "multipart/report" && topReportType != "tlsrpt" { return true }
        let s = (subject ?? "").lowercased()
        return s.contains("forensic report") || s.contains("failure report")
    }
}

/// Walks a mail message with GMime: multipart, nested `message/rfc822`, a non-multipart message
/// whose body is the attachment, base64 and quoted-printable, RFC 2047/2231 names.
enum MIMEMessage {
    private static let initialised: Bool = {
        g_mime_init()
        return true
    }()

    static func walk(_ bytes: [UInt8], maxDepth: Int) throws -> MIMEWalk {
        _ = initialised
        let stream: UnsafeMutablePointer<GMimeStream> = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                g_mime_stream_mem_new_with_buffer($0.baseAddress, $0.count)
            }
        }
        defer { g_object_unref(stream) }
        let parser = g_mime_parser_new_with_stream(stream)
        defer { g_object_unref(parser) }
        guard let message = g_mime_parser_construct_message(parser, nil) else {
            throw IngestError("not a readable mail message")
        }
        defer { g_object_unref(message) }
        var walk = MIMEWalk()
        if let subject = g_mime_message_get_subject(message) { walk.subject = String(cString: subject) }
        var counter = 0
        if let root = g_mime_message_get_mime_part(message) {
            (walk.topType, walk.topReportType) = contentType(of: root)
            visit(root, depth: 0, maxDepth: maxDepth, counter: &counter, into: &walk)
        }
        return walk
    }

    private static func contentType(of object: UnsafeMutablePointer<GMimeObject>) -> (String, String?) {
        guard let ct = g_mime_object_get_content_type(object) else { return ("application/octet-stream", nil) }
        var type = "application/octet-stream"
        if let mime = g_mime_content_type_get_mime_type(ct) {
            type = String(cString: mime).lowercased()
            g_free(mime)
        }
        let reportType = g_mime_content_type_get_parameter(ct, "report-type").map { String(cString: $0).lowercased() }
        return (type, reportType)
    }

    private static func visit(
        _ object: UnsafeMutablePointer<GMimeObject>, depth: Int, maxDepth: Int, counter: inout Int,
        into walk: inout MIMEWalk
    ) {
        guard depth <= maxDepth else {
            walk.truncatedDepth = true
            return
        }
        let (type, reportType) = contentType(of: object)
        if type == "message/feedback-report" || (type == "multipart/report" && reportType == "feedback-report") {
            walk.isFailureReport = true
        }
        if cshim_gmime_is_multipart(object) != 0 {
            let multipart = UnsafeMutablePointer<GMimeMultipart>(OpaquePointer(object))
            let count = g_mime_multipart_get_count(multipart)
            for i in 0..<max(count, 0) {
                if let child = g_mime_multipart_get_part(multipart, i) {
                    visit(child, depth: depth + 1, maxDepth: maxDepth, counter: &counter, into: &walk)
                }
            }
        } else if cshim_gmime_is_message_part(object) != 0 {
            let part = UnsafeMutablePointer<GMimeMessagePart>(OpaquePointer(object))
            if let inner = g_mime_message_part_get_message(part), let root = g_mime_message_get_mime_part(inner) {
                visit(root, depth: depth + 1, maxDepth: maxDepth, counter: &counter, into: &walk)
            }
        } else if cshim_gmime_is_part(object) != 0 {
            counter += 1
            let part = UnsafeMutablePointer<GMimePart>(OpaquePointer(object))
            let filename = g_mime_part_get_filename(part).map { String(cString: $0) }
            var bytes: [UInt8] = []
            if let content = g_mime_part_get_content(part) {
                let out = g_mime_stream_mem_new()!
                g_mime_data_wrapper_write_to_stream(content, out)
                let mem = UnsafeMutablePointer<GMimeStreamMem>(OpaquePointer(out))
                if let array = g_mime_stream_mem_get_byte_array(mem), array.pointee.len > 0 {
                    bytes = Array(UnsafeBufferPointer(start: array.pointee.data, count: Int(array.pointee.len)))
                }
                g_object_unref(out)
            }
            let label = filename.map { "part \(counter) \"\($0)\"" } ?? "part \(counter) (\(type))"
            walk.leaves.append(MIMELeaf(label: label, contentType: type, filename: filename, bytes: bytes))
        }
    }
}
