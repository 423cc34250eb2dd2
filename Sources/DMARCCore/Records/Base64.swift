/// A small, strict base64 decoder (RFC 4648 §4 alphabet) for DKIM keys and other record values.
///
/// White space is skipped, padding may be left out, anything else outside the alphabet makes the
/// input invalid. Input is bounded so a hostile record costs little.
enum Base64 {
    /// More text than any public key needs (an 8192-bit RSA key is about 1.4 KB of base64).
    static let maximumLength = 16_384

    /// The bytes `text` encodes, or `nil` when it is not valid base64 or is too long.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var sextets: [UInt8] = []
        var padding = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\n")
            {
                continue
            }
            guard sextets.count + padding < maximumLength else { return nil }
            if byte == UInt8(ascii: "=") {
                padding += 1
                guard padding <= 2 else { return nil }
                continue
            }
            // Data after padding is not base64.
            guard padding == 0, let value = sextet(byte) else { return nil }
            sextets.append(value)
        }
        let remainder = sextets.count % 4
        guard remainder != 1 else { return nil }
        if padding > 0, (sextets.count + padding) % 4 != 0 { return nil }

        var out: [UInt8] = []
        out.reserveCapacity(sextets.count * 3 / 4)
        var i = 0
        while i + 4 <= sextets.count {
            let n =
                UInt32(sextets[i]) << 18 | UInt32(sextets[i + 1]) << 12 | UInt32(sextets[i + 2]) << 6
                | UInt32(sextets[i + 3])
            out.append(UInt8(truncatingIfNeeded: n >> 16))
            out.append(UInt8(truncatingIfNeeded: n >> 8))
            out.append(UInt8(truncatingIfNeeded: n))
            i += 4
        }
        if remainder == 2 {
            let n = UInt32(sextets[i]) << 18 | UInt32(sextets[i + 1]) << 12
            out.append(UInt8(truncatingIfNeeded: n >> 16))
        } else if remainder == 3 {
            let n = UInt32(sextets[i]) << 18 | UInt32(sextets[i + 1]) << 12 | UInt32(sextets[i + 2]) << 6
            out.append(UInt8(truncatingIfNeeded: n >> 16))
            out.append(UInt8(truncatingIfNeeded: n >> 8))
        }
        return out
    }

    static func sextet(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
