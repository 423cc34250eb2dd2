/// What a run of bytes is, decided by its first bytes, never by a name or MIME type (SPEC §6.2).
enum ContentKind: String {
    case gzip = "application/gzip"
    case zip = "application/zip"
    case xml = "text/xml"
    /// XML in UTF-16, with a byte-order mark.
    case xmlUTF16 = "text/xml; charset=utf-16"
    case json = "application/json"
    case mbox = "application/mbox"
    case message = "message/rfc822"
    case empty = "application/x-empty"
    case unknown = "application/octet-stream"

    static func sniff(_ head: [UInt8]) -> ContentKind {
        if head.isEmpty { return .empty }
        if head.starts(with: [0x1F, 0x8B]) { return .gzip }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) { return .zip }
        if UTF16ToUTF8.hasByteOrderMark(head) && firstUTF16Character(head) == 0x3C { return .xmlUTF16 }
        var body = head[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        let trimmed = body.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        if trimmed.isEmpty { return .empty }
        if trimmed.first == 0x3C { return .xml }
        if trimmed.first == 0x7B || trimmed.first == 0x5B { return .json }
        if head.starts(with: Array("From ".utf8)) { return .mbox }
        if looksLikeHeader(head) { return .message }
        return .unknown
    }

    /// The first code unit after a UTF-16 byte-order mark and any white space.
    static func firstUTF16Character(_ head: [UInt8]) -> UInt16? {
        let bigEndian = head[0] == 0xFE
        var i = 2
        while i + 1 < head.count {
            let unit = UTF16ToUTF8.unit(head[...], at: i, bigEndian: bigEndian)
            if unit != 0x20 && unit != 0x09 && unit != 0x0A && unit != 0x0D { return unit }
            i += 2
        }
        return nil
    }

    /// An RFC 5322 header field name followed by a colon on the first line.
    static func looksLikeHeader(_ head: [UInt8]) -> Bool {
        var i = 0
        while i < head.count, head[i] > 0x20, head[i] < 0x7F, head[i] != 0x3A { i += 1 }
        return i > 0 && i < head.count && head[i] == 0x3A
    }
}
