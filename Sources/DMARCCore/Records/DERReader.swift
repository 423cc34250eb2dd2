/// Reads DER (X.690) tag-length-value items from bytes, just enough to take a public key apart.
///
/// Every read is bounds-checked and returns `nil` on anything malformed or unsupported
/// (indefinite lengths, lengths over 4 bytes, multi-byte tags), so hostile input cannot crash it.
struct DERReader {
    static let sequence: UInt8 = 0x30
    static let integer: UInt8 = 0x02
    static let bitString: UInt8 = 0x03
    static let null: UInt8 = 0x05
    static let objectIdentifier: UInt8 = 0x06

    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    /// Whether every byte has been read.
    var isAtEnd: Bool { index >= bytes.endIndex }

    /// The tag of the next item, without reading it.
    var nextTag: UInt8? { isAtEnd ? nil : bytes[index] }

    /// Reads one item with tag `tag` and returns its contents, or `nil` (reading nothing) when the
    /// next item has another tag or is malformed.
    mutating func read(_ tag: UInt8) -> ArraySlice<UInt8>? {
        var i = index
        guard i < bytes.endIndex, bytes[i] == tag, tag & 0x1F != 0x1F else { return nil }
        i += 1
        guard i < bytes.endIndex else { return nil }
        let first = bytes[i]
        i += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard count >= 1, count <= 4, bytes.endIndex - i >= count else { return nil }
            for _ in 0..<count {
                length = length << 8 | Int(bytes[i])
                i += 1
            }
        }
        guard length <= bytes.endIndex - i else { return nil }
        let contents = bytes[i..<(i + length)]
        index = i + length
        return contents
    }
}
