import DMARCCore

/// Turns a UTF-16 document with a byte-order mark into UTF-8 as it is read, and makes its XML
/// declaration say so, so that the parser, its indentation pass and the repairs only ever see
/// UTF-8. An unpaired surrogate becomes U+FFFD. Read through a `TransformStream`.
struct UTF16ToUTF8: ByteTransform {
    /// The mark, and enough of the document for its XML declaration.
    let headBytes = 1_024
    private var started = false
    private var bigEndian = false
    /// A byte of a code unit cut by the end of the last piece.
    private var oddByte: UInt8?
    private var highSurrogate: UInt16?

    var warnings: [ParseWarning] { [] }

    /// Whether `head` starts with a UTF-16 byte-order mark.
    static func hasByteOrderMark(_ head: some Collection<UInt8>) -> Bool {
        head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF])
    }

    /// The code unit at `i` of `bytes`.
    static func unit(_ bytes: ArraySlice<UInt8>, at i: Int, bigEndian: Bool) -> UInt16 {
        let (high, low) = bigEndian ? (bytes[i], bytes[i + 1]) : (bytes[i + 1], bytes[i])
        return UInt16(high) << 8 | UInt16(low)
    }

    mutating func transform(_ input: ArraySlice<UInt8>, atEnd: Bool, into output: inout [UInt8]) {
        var bytes = input
        if let oddByte {
            bytes = [oddByte] + input
            self.oddByte = nil
        }
        if !started {
            started = true
            bigEndian = bytes.starts(with: [0xFE, 0xFF])
            if Self.hasByteOrderMark(bytes) { bytes = bytes.dropFirst(2) }
            var head: [UInt8] = []
            decode(bytes, into: &head)
            if head.starts(with: Array("<?xml".utf8)) { Self.declareUTF8(&head) }
            output += head
        } else {
            decode(bytes, into: &output)
        }
        if atEnd && (oddByte != nil || highSurrogate != nil) {
            Self.append(0xFFFD, to: &output)
            oddByte = nil
            highSurrogate = nil
        }
    }

    private mutating func decode(_ bytes: ArraySlice<UInt8>, into output: inout [UInt8]) {
        var i = bytes.startIndex
        while i + 1 < bytes.endIndex {
            let unit = Self.unit(bytes, at: i, bigEndian: bigEndian)
            i += 2
            if let high = highSurrogate {
                highSurrogate = nil
                if (0xDC00...0xDFFF).contains(unit) {
                    Self.append(0x10000 + (UInt32(high - 0xD800) << 10) + UInt32(unit - 0xDC00), to: &output)
                    continue
                }
                Self.append(0xFFFD, to: &output)
            }
            switch unit {
            case 0xD800...0xDBFF: highSurrogate = unit
            case 0xDC00...0xDFFF: Self.append(0xFFFD, to: &output)
            default: Self.append(UInt32(unit), to: &output)
            }
        }
        if i < bytes.endIndex { oddByte = bytes[i] }
    }

    private static func append(_ scalar: UInt32, to output: inout [UInt8]) {
        UTF8.encode(Unicode.Scalar(scalar) ?? "\u{FFFD}") { output.append($0) }
    }

    /// Replaces the value of `encoding` in the XML declaration at the start of `bytes` by UTF-8.
    static func declareUTF8(_ bytes: inout [UInt8]) {
        guard let close = bytes.prefix(1_024).firstRange(of: Array("?>".utf8)),
            let enc = bytes[..<close.lowerBound].firstRange(of: Array("encoding".utf8))
        else { return }
        guard let open = bytes[enc.upperBound..<close.lowerBound].firstIndex(where: { $0 == 0x22 || $0 == 0x27 }),
            let end = bytes[(open + 1)..<close.lowerBound].firstIndex(of: bytes[open])
        else { return }
        bytes.replaceSubrange((open + 1)..<end, with: Array("UTF-8".utf8))
    }
}
