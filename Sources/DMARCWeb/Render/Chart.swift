import DMARCStore

/// Inline SVG charts. Colours come from classes in the stylesheet (the CSP allows no inline
/// styles); every bar has a <title>, which browsers show as a tooltip without JavaScript.
enum Chart {
    /// Daily messages as stacked bars: DMARC pass below, failed above. Drawn twice, wide and
    /// narrow, and the stylesheet shows one: a 720-unit drawing scaled down to a phone's width
    /// would shrink its 11-unit labels to 5 pixels.
    static func daily(_ days: [Int64: Totals], from: Int64, to: Int64, t: Localizer) -> HTML {
        let label = escapeHTML(t("chart.label", t.date(day: from), t.date(day: to)))
        let wide = svg(days, from: from, to: to, t: t, width: 720, height: 200, className: "chart-wide", label: label)
        let narrow = svg(
            days, from: from, to: to, t: t, width: 360, height: 220, className: "chart-narrow", label: label)
        return HTML(
            trusted: """
                <figure class="chart">\(wide)\(narrow)
                <figcaption><span class="key key-pass"></span>\(escapeHTML(t("chart.pass"))) <span class="key key-fail"></span>\(escapeHTML(t("chart.fail")))</figcaption></figure>
                """)
    }

    private static func svg(
        _ days: [Int64: Totals], from: Int64, to: Int64, t: Localizer, width: Double, height: Double,
        className: String, label: String
    ) -> String {
        let count = max(Int(to - from + 1), 1)
        let peak = max(days.values.map(\.messages).max() ?? 0, 1)
        let scaleTop = niceCeiling(peak)
        // 0, half and the top: halved first, so a top of Int64.max (saturated totals) cannot overflow.
        let steps = [Int64(0), scaleTop / 2, scaleTop]
        // Room for the longest axis number at 11 units a character's height (about 6.5 wide).
        let longest = steps.map { t.number($0).count }.max() ?? 1
        let left = max(36, Double(longest) * 6.5 + 12)
        let bottom = 24.0
        let plotWidth = width - left - 8
        let plotHeight = height - bottom - 8
        let slot = plotWidth / Double(count)
        let barWidth = max(slot * 0.8, 1)
        var bars = ""
        for i in 0..<count {
            let day = from + Int64(i)
            let totals = days[day] ?? Totals()
            let x = left + Double(i) * slot + (slot - barWidth) / 2
            let passHeight = Double(totals.dmarcPass) / Double(scaleTop) * plotHeight
            let failHeight =
                Double(Counts.difference(totals.messages, totals.dmarcPass)) / Double(scaleTop) * plotHeight
            let title = escapeHTML(
                "\(t.date(day: day)): \(t.number(totals.messages)) \(t("chart.messages")), "
                    + "\(t("chart.pass")) \(t.percent(totals.dmarcPass, of: totals.messages))")
            bars += "<g><title>\(title)</title>"
            bars +=
                "<rect class=\"bar-pass\" x=\"\(f(x))\" y=\"\(f(8 + plotHeight - passHeight))\" width=\"\(f(barWidth))\" height=\"\(f(passHeight))\"/>"
            bars +=
                "<rect class=\"bar-fail\" x=\"\(f(x))\" y=\"\(f(8 + plotHeight - passHeight - failHeight))\" width=\"\(f(barWidth))\" height=\"\(f(failHeight))\"/>"
            bars += "</g>"
        }
        var axis = ""
        for (step, value) in steps.enumerated() {
            let y = 8 + plotHeight - Double(step) / 2 * plotHeight
            axis += "<line class=\"grid\" x1=\"\(f(left))\" x2=\"\(f(width - 8))\" y1=\"\(f(y))\" y2=\"\(f(y))\"/>"
            axis +=
                "<text class=\"axis\" x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(escapeHTML(t.number(value)))</text>"
        }
        for i in Set([0, count / 2, count - 1]).sorted() {
            let x = left + (Double(i) + 0.5) * slot
            let anchor = i == 0 ? "start" : i == count - 1 ? "end" : "middle"
            axis +=
                "<text class=\"axis\" x=\"\(f(x))\" y=\"\(f(height - 6))\" text-anchor=\"\(anchor)\">\(escapeHTML(t.shortDate(day: from + Int64(i))))</text>"
        }
        return
            "<svg class=\"\(className)\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(label)\">\(axis)\(bars)</svg>"
    }

    /// A horizontal bar for a share (0–100%) in a table cell.
    static func share(_ part: Int64, of whole: Int64, t: Localizer, kind: String = "pass") -> HTML {
        let ratio = whole > 0 ? Double(part) / Double(whole) : 0
        return HTML(
            trusted:
                "<span class=\"share\"><svg viewBox=\"0 0 100 8\" preserveAspectRatio=\"none\" aria-hidden=\"true\"><rect class=\"share-bg\" width=\"100\" height=\"8\"/><rect class=\"share-\(kind)\" width=\"\(f(ratio * 100))\" height=\"8\"/></svg>\(escapeHTML(t.percent(part, of: whole)))</span>"
        )
    }

    /// 1, 2 or 5 times a power of ten, at least `n`; Int64.max when there is none (saturated
    /// totals from hostile reports reach here).
    static func niceCeiling(_ n: Int64) -> Int64 {
        var p: Int64 = 1
        while true {
            for m: Int64 in [1, 2, 5] {
                let (v, overflow) = m.multipliedReportingOverflow(by: p)
                if overflow { return Int64.max }
                if v >= n { return v }
            }
            let (next, overflow) = p.multipliedReportingOverflow(by: 10)
            if overflow { return Int64.max }
            p = next
        }
    }

    private static func f(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int64(r)) : String(r)
    }
}
