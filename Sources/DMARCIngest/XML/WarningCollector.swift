import DMARCCore

/// Collects parse warnings, folding repeats into one entry with a count, so a report with a
/// million `Pass` values carries one warning, not a million.
struct WarningCollector {
    private var order: [String] = []
    private var entries: [String: (warning: ParseWarning, count: Int)] = [:]
    private static let maxDistinct = 200

    mutating func add(_ warning: ParseWarning?) {
        guard let warning else { return }
        let key = warning.description
        if entries[key] != nil {
            entries[key]!.count += 1
        } else if order.count < Self.maxDistinct {
            order.append(key)
            entries[key] = (warning, 1)
        }
    }

    mutating func add(code: String, _ message: String) {
        add(ParseWarning(code: code, message: message))
    }

    var warnings: [ParseWarning] {
        order.map { key in
            let (w, n) = entries[key]!
            return n == 1 ? w : ParseWarning(code: w.code, message: "\(w.message) (\(n) times)")
        }
    }

    var isEmpty: Bool { order.isEmpty }
}
