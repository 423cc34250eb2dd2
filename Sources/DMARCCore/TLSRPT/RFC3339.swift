/// RFC 3339 date-times as TLS-RPT reports write them.
public enum RFC3339 {
    /// Unix seconds for `2016-04-01T00:00:00Z`, with optional fractional seconds and a numeric
    /// offset (`+09:00`); `nil` when malformed.
    public static func epoch(_ text: String) -> Int64? {
        let t = text.trimmedASCII
        let bytes = Array(t.utf8)
        guard bytes.count >= 19, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t") || bytes[10] == 0x20
        else { return nil }
        guard let day = DayMath.day(fromISO: String(decoding: bytes[0..<10], as: UTF8.self)) else { return nil }
        func number(_ r: Range<Int>) -> Int64? {
            var n: Int64 = 0
            for b in bytes[r] {
                guard b >= 0x30 && b <= 0x39 else { return nil }
                n = n * 10 + Int64(b - 0x30)
            }
            return n
        }
        guard bytes[13] == 0x3A, bytes[16] == 0x3A, let h = number(11..<13), let m = number(14..<16),
            let s = number(17..<19), h < 24, m < 60, s <= 60
        else { return nil }
        var i = 19
        if i < bytes.count, bytes[i] == 0x2E {
            i += 1
            while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
        }
        var offset: Int64 = 0
        if i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"):
                i += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard i + 6 <= bytes.count, bytes[i + 3] == 0x3A, let oh = number((i + 1)..<(i + 3)),
                    let om = number((i + 4)..<(i + 6))
                else { return nil }
                offset = (oh * 3600 + om * 60) * (bytes[i] == UInt8(ascii: "+") ? 1 : -1)
                i += 6
            default:
                return nil
            }
        }
        guard i == bytes.count else { return nil }
        return day * 86_400 + h * 3600 + m * 60 + min(s, 59) - offset
    }
}
