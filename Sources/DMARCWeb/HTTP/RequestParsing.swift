/// Reading what a request carries: cookies, forms (URL-encoded and multipart), languages.
extension HTTPRequest {
    /// The value of a query argument (the last, if repeated).
    public func query(_ name: String) -> String? {
        query.last(where: { $0.0 == name })?.1
    }

    /// Cookies by name, from the Cookie header.
    public var cookies: [String: String] {
        var out: [String: String] = [:]
        for part in (headers["cookie"] ?? "").split(separator: ";") {
            guard let eq = part.firstIndex(of: "=") else { continue }
            let name = part[..<eq].trimmingSpaces()
            let value = part[part.index(after: eq)...].trimmingSpaces()
            if out[name] == nil { out[name] = value }
        }
        return out
    }

    /// The fields of an `application/x-www-form-urlencoded` body.
    public var form: [String: String] {
        guard (headers["content-type"] ?? "").lowercased().hasPrefix("application/x-www-form-urlencoded") else {
            return [:]
        }
        return FormDecoding.urlEncoded(body)
    }

    /// The parts of a `multipart/form-data` body (parsed once by the app, else here).
    public var multipartParts: [MultipartPart] {
        if let parts { return parts }
        guard let type = headers["content-type"], let boundary = FormDecoding.boundary(of: type) else { return [] }
        return FormDecoding.multipart(body, boundary: boundary)
    }

    /// Languages of the Accept-Language header, most preferred first.
    public var acceptedLanguages: [String] {
        var weighted: [(String, Double, Int)] = []
        for (i, item) in (headers["accept-language"] ?? "").split(separator: ",").enumerated() {
            let fields = item.split(separator: ";")
            guard let tag = fields.first?.trimmingSpaces().lowercased(), !tag.isEmpty else { continue }
            var q = 1.0
            for f in fields.dropFirst() {
                let p = f.trimmingSpaces()
                if p.hasPrefix("q="), let v = Double(p.dropFirst(2)) { q = v }
            }
            if q > 0 { weighted.append((tag, q, i)) }
        }
        return weighted.sorted { ($0.1, -$0.2) > ($1.1, -$1.2) }.map(\.0)
    }
}

/// One part of a multipart/form-data body.
public struct MultipartPart: Sendable {
    public var name: String
    public var filename: String?
    public var contentType: String?
    /// The part's bytes: a slice of the request body, not a copy (an upload may be 50 MiB).
    public var data: ArraySlice<UInt8>
}

enum FormDecoding {
    static func urlEncoded(_ body: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: UInt8(ascii: "&")) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(parts[0])
            let value = parts.count > 1 ? percentDecode(parts[1]) : ""
            out[name] = value
        }
        return out
    }

    /// `+` is a space; `%XX` a byte; the result is read as UTF-8 (invalid bytes replaced).
    static func percentDecode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i != bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(32)
            } else if b == UInt8(ascii: "%"), let h1 = bytes.index(i, offsetBy: 1, limitedBy: bytes.endIndex),
                h1 != bytes.endIndex, let h2 = bytes.index(h1, offsetBy: 1, limitedBy: bytes.endIndex),
                h2 != bytes.endIndex, let hi = hexValue(bytes[h1]), let lo = hexValue(bytes[h2])
            {
                out.append(hi << 4 | lo)
                i = h2
            } else {
                out.append(b)
            }
            i = bytes.index(after: i)
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 65...70: c - 55
        case 97...102: c - 87
        default: nil
        }
    }

    /// The boundary parameter of a multipart/form-data content type.
    static func boundary(of contentType: String) -> String? {
        let fields = contentType.split(separator: ";").map { $0.trimmingSpaces() }
        guard fields.first?.lowercased() == "multipart/form-data" else { return nil }
        for f in fields.dropFirst() where f.lowercased().hasPrefix("boundary=") {
            var b = String(f.dropFirst(9))
            if b.hasPrefix("\""), b.hasSuffix("\""), b.count >= 2 { b = String(b.dropFirst().dropLast()) }
            return b.isEmpty || b.utf8.count > 200 ? nil : b
        }
        return nil
    }

    /// Most parts a form may have; an upload form has a token and a few files.
    static let maximumParts = 200

    static let headerEnd = Array("\r\n\r\n".utf8)

    /// Splits a multipart body on `--boundary` lines (RFC 7578); malformed parts are skipped.
    /// Every search stays inside its part, so the work is linear in the body; the parts are
    /// slices of the body, so nothing is copied.
    static func multipart(_ body: [UInt8], boundary: String) -> [MultipartPart] {
        let dashBoundary = Array(("--" + boundary).utf8)
        let delimiter = [13, 10] + dashBoundary
        // Where each "--boundary" starts. The first may be at the very start, without a CRLF before it.
        var positions: [Int] = []
        var from = 0
        if body.starts(with: dashBoundary) {
            positions.append(0)
            from = dashBoundary.count
        }
        while positions.count <= maximumParts, let p = find(delimiter, in: body, from: from, before: body.count) {
            positions.append(p + 2)
            from = p + delimiter.count
        }
        var parts: [MultipartPart] = []
        for (a, b) in zip(positions, positions.dropFirst()) {
            // The part runs from after its delimiter line to the CRLF before the next delimiter.
            let end = b - 2
            var start = a + dashBoundary.count
            while start + 1 < end, !(body[start] == 13 && body[start + 1] == 10) { start += 1 }
            start += 2
            guard start <= end, let headerEnd = find(Self.headerEnd, in: body, from: start, before: end) else {
                continue
            }
            let headerText = String(decoding: body[start..<headerEnd], as: UTF8.self)
            var part = MultipartPart(name: "", filename: nil, contentType: nil, data: body[(headerEnd + 4)..<end])
            for line in headerText.split(separator: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let field = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingSpaces()
                if field == "content-type" { part.contentType = value }
                if field == "content-disposition" {
                    part.name = parameter("name", in: value) ?? ""
                    part.filename = parameter("filename", in: value)
                }
            }
            parts.append(part)
        }
        return parts
    }

    static func parameter(_ name: String, in value: String) -> String? {
        for field in value.split(separator: ";").dropFirst() {
            let f = field.trimmingSpaces()
            guard f.lowercased().hasPrefix(name + "=") else { continue }
            var v = String(f.dropFirst(name.count + 1))
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
            return v
        }
        return nil
    }

    /// The first position of `needle` at or after `from` that ends by `before`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int, before end: Int) -> Int? {
        guard let first = needle.first, needle.count <= end, end <= haystack.count else { return nil }
        var i = from
        let last = end - needle.count
        while i <= last {
            if haystack[i] == first, haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

extension String {
    func trimmingSpaces() -> String { self[...].trimmingSpaces() }
}
