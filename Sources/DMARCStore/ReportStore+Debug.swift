import DMARCCore

extension ReportStore {
    /// Every row of the report tables as text, in a stable order: for tests that prove an
    /// operation changed nothing.
    public func debugSnapshot() throws -> [String] {
        var rows: [String] = []
        let tables = [
            ("raw_documents", "id"), ("raw_chunks", "document_id, seq"), ("reports", "id"), ("records", "id"),
            ("dkim_results", "record_id, seq"), ("spf_results", "record_id, seq"),
            ("daily_rollup", "domain, day, source_ip, header_from, disposition, dkim, spf"),
            ("domain_daily", "domain, day"),
        ]
        for (table, order) in tables {
            try db.prepare("SELECT * FROM \(table) ORDER BY \(order)").query { row in
                var cells: [String] = [table]
                var i: Int32 = 0
                while i < row.columnCount {
                    cells.append(row.isNull(i) ? "NULL" : (row.text(i) ?? ""))
                    i += 1
                }
                rows.append(cells.joined(separator: "|"))
            }
        }
        return rows
    }

    /// Sum of record counts and of rollup messages.
    public func debugTotals() throws -> (records: Int64, rollup: Int64) {
        let records = try db.prepare("SELECT COALESCE(SUM(count), 0) FROM records").scalar() ?? 0
        let rollup = try db.prepare("SELECT COALESCE(SUM(messages), 0) FROM daily_rollup").scalar() ?? 0
        return (records, rollup)
    }

    /// Row counts of the records and the daily rollup, for benchmark reports.
    public func benchCounts() throws -> (records: Int64, rollup: Int64) {
        let records = try db.prepare("SELECT COUNT(*) FROM records").scalar() ?? 0
        let rollup = try db.prepare("SELECT COUNT(*) FROM daily_rollup").scalar() ?? 0
        return (records, rollup)
    }
}
