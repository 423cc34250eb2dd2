#if canImport(Glibc)
    import Glibc
#endif

/// Writes to standard output and standard error without Foundation.
enum Console {
    static func out(_ text: String) { write(1, text) }
    static func err(_ text: String) { write(2, text) }

    static func write(_ fd: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { if errno == EINTR { continue } else { return } }
                offset += n
            }
        }
    }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    /// Seconds on a monotonic clock.
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// Thousands separators for counts in human output.
func grouped(_ n: Int64) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return n < 0 ? "-" + out : out
}

func grouped(_ n: Int) -> String { grouped(Int64(n)) }

/// `part` as a percentage of `whole` with one decimal.
func percent(_ part: Int64, of whole: Int64) -> String {
    guard whole > 0 else { return "–" }
    let tenths = (part * 1000 + whole / 2) / whole
    return "\(tenths / 10).\(tenths % 10)%"
}

/// Report and DNS content is hostile: control characters (terminal escapes) other than line
/// breaks and tabs are shown as `?`.
func sanitized(_ s: String) -> String {
    String(
        String.UnicodeScalarView(
            s.unicodeScalars.map { c in
                let v = c.value
                return (v < 0x20 && v != 0x0A && v != 0x09) || (v >= 0x7F && v < 0xA0) ? "?" : c
            }))
}
