/// The numbered schema migrations. Each runs once, in order, inside a transaction; the number of
/// the last one applied is kept in `PRAGMA user_version`. Never edit a published migration: add
/// a new one.
enum Migrations {
    static let all: [String] = [
        // 1: raw documents, reports, records, auth results, daily rollup.
        """
        CREATE TABLE raw_documents (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            received_at INTEGER NOT NULL,
            origin TEXT NOT NULL,
            media_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            stored_size INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL CHECK (status IN ('pending', 'parsed', 'duplicate', 'failed', 'ignored')),
            kind TEXT,
            error TEXT,
            warnings TEXT,
            report_count INTEGER NOT NULL DEFAULT 0,
            parsed_at INTEGER
        );
        CREATE INDEX raw_documents_status ON raw_documents(status);
        -- Raw bytes in chunks, each an independent gzip member, so writing and reading stream.
        CREATE TABLE raw_chunks (
            document_id INTEGER NOT NULL REFERENCES raw_documents(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (document_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            report_key TEXT NOT NULL UNIQUE,
            raw_document_id INTEGER REFERENCES raw_documents(id),
            source_name TEXT,
            reporter TEXT NOT NULL,
            org_name TEXT,
            email TEXT,
            extra_contact_info TEXT,
            report_id TEXT NOT NULL,
            begin_ts INTEGER NOT NULL,
            end_ts INTEGER NOT NULL,
            day INTEGER NOT NULL,
            flavour TEXT NOT NULL,
            namespace TEXT,
            version TEXT,
            generator TEXT,
            errors TEXT,
            domain TEXT NOT NULL,
            p TEXT, sp TEXT, np TEXT, pct INTEGER, adkim TEXT, aspf TEXT, fo TEXT,
            testing TEXT, discovery_method TEXT, psd TEXT,
            warnings TEXT,
            record_count INTEGER NOT NULL DEFAULT 0,
            message_count INTEGER NOT NULL DEFAULT 0,
            first_record_id INTEGER,
            imported_at INTEGER NOT NULL
        );
        CREATE INDEX reports_domain_day ON reports(domain, day);
        CREATE INDEX reports_raw ON reports(raw_document_id);
        CREATE TABLE records (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
            source_ip TEXT NOT NULL,
            source_ip_bytes BLOB NOT NULL,
            count INTEGER NOT NULL,
            disposition TEXT,
            dkim TEXT,
            spf TEXT,
            reasons TEXT,
            header_from TEXT,
            envelope_from TEXT,
            envelope_to TEXT,
            dmarc_pass INTEGER NOT NULL,
            dkim_aligned INTEGER NOT NULL,
            spf_aligned INTEGER NOT NULL
        );
        -- No index on report_id: a report's records are inserted in one transaction, so they are
        -- the contiguous id range reports.first_record_id .. + record_count - 1.
        -- Keyed by (record, position): rows are appended in key order, with no second index.
        CREATE TABLE dkim_results (
            record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            domain TEXT, selector TEXT, result TEXT, human_result TEXT,
            PRIMARY KEY (record_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE spf_results (
            record_id INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            domain TEXT, scope TEXT, result TEXT, human_result TEXT,
            PRIMARY KEY (record_id, seq)
        ) WITHOUT ROWID;
        -- Messages per UTC day and outcome; dashboards and summaries read this, not records.
        CREATE TABLE daily_rollup (
            day INTEGER NOT NULL,
            domain TEXT NOT NULL,
            source_ip TEXT NOT NULL,
            header_from TEXT NOT NULL,
            disposition TEXT NOT NULL,
            dkim TEXT NOT NULL,
            spf TEXT NOT NULL,
            dmarc_pass INTEGER NOT NULL,
            messages INTEGER NOT NULL,
            PRIMARY KEY (domain, day, source_ip, header_from, disposition, dkim, spf)
        ) WITHOUT ROWID;
        """,
        // 2: SMTP TLS reports (RFC 8460).
        """
        CREATE TABLE tls_reports (
            id INTEGER PRIMARY KEY,
            report_key TEXT NOT NULL UNIQUE,
            raw_document_id INTEGER REFERENCES raw_documents(id),
            organization TEXT NOT NULL,
            contact_info TEXT,
            report_id TEXT NOT NULL,
            begin_ts INTEGER NOT NULL,
            end_ts INTEGER NOT NULL,
            day INTEGER NOT NULL,
            warnings TEXT,
            imported_at INTEGER NOT NULL
        );
        CREATE TABLE tls_policies (
            id INTEGER PRIMARY KEY,
            report_id INTEGER NOT NULL REFERENCES tls_reports(id) ON DELETE CASCADE,
            policy_type TEXT NOT NULL,
            policy_domain TEXT,
            policy_strings TEXT,
            mx_hosts TEXT,
            successful_sessions INTEGER NOT NULL,
            failed_sessions INTEGER NOT NULL
        );
        CREATE INDEX tls_policies_report ON tls_policies(report_id);
        CREATE INDEX tls_policies_domain ON tls_policies(policy_domain);
        CREATE TABLE tls_failures (
            policy_id INTEGER NOT NULL REFERENCES tls_policies(id) ON DELETE CASCADE,
            result_type TEXT NOT NULL,
            sending_mta_ip TEXT,
            receiving_mx_hostname TEXT,
            receiving_mx_helo TEXT,
            receiving_ip TEXT,
            failed_sessions INTEGER NOT NULL,
            additional_information TEXT,
            failure_reason_code TEXT
        );
        CREATE INDEX tls_failures_policy ON tls_failures(policy_id);
        """,
        // 3: IMAP mailboxes and the state of each message fetched (UID-based, resumable).
        """
        CREATE TABLE mailboxes (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            username TEXT NOT NULL,
            password TEXT NOT NULL,
            done_folder TEXT,
            failed_folder TEXT,
            allow_plaintext INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            last_run_at INTEGER,
            last_error TEXT,
            last_fetched INTEGER NOT NULL DEFAULT 0,
            UNIQUE (url, username)
        );
        CREATE TABLE mailbox_messages (
            mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
            folder TEXT NOT NULL,
            uidvalidity INTEGER NOT NULL,
            uid INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('imported', 'done', 'failed')),
            raw_document_id INTEGER REFERENCES raw_documents(id),
            outcome TEXT,
            error TEXT,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (mailbox_id, folder, uidvalidity, uid)
        ) WITHOUT ROWID;
        """,
        // 4: a CA bundle per mailbox, for servers with a private certificate authority.
        "ALTER TABLE mailboxes ADD COLUMN ca_file TEXT;",
        // 5: what enrichment found out about each source address, with an expiry.
        """
        CREATE TABLE ip_info (
            ip TEXT PRIMARY KEY,
            ptr TEXT,
            forward_confirmed INTEGER NOT NULL DEFAULT 0,
            base_domain TEXT,
            country TEXT,
            asn INTEGER,
            as_org TEXT,
            service TEXT,
            problem TEXT,
            fetched_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,
        // 6: per-domain daily totals for the dashboard, accounts, sessions, API tokens, the
        // registered domains, sign-in throttling and the audit log.
        """
        CREATE TABLE domain_daily (
            domain TEXT NOT NULL,
            day INTEGER NOT NULL,
            messages INTEGER NOT NULL DEFAULT 0,
            dmarc_pass INTEGER NOT NULL DEFAULT 0,
            dkim_pass INTEGER NOT NULL DEFAULT 0,
            spf_pass INTEGER NOT NULL DEFAULT 0,
            both_fail INTEGER NOT NULL DEFAULT 0,
            quarantined INTEGER NOT NULL DEFAULT 0,
            rejected INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (domain, day)
        ) WITHOUT ROWID;
        INSERT INTO domain_daily (domain, day, messages, dmarc_pass, dkim_pass, spf_pass, both_fail, quarantined, rejected)
        SELECT domain, day, SUM(messages),
               SUM(CASE WHEN dmarc_pass = 1 THEN messages ELSE 0 END),
               SUM(CASE WHEN dkim = 'pass' THEN messages ELSE 0 END),
               SUM(CASE WHEN spf = 'pass' THEN messages ELSE 0 END),
               SUM(CASE WHEN dkim != 'pass' AND spf != 'pass' THEN messages ELSE 0 END),
               SUM(CASE WHEN disposition = 'quarantine' THEN messages ELSE 0 END),
               SUM(CASE WHEN disposition = 'reject' THEN messages ELSE 0 END)
        FROM daily_rollup GROUP BY domain, day;
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
            language TEXT,
            created_at INTEGER NOT NULL,
            password_changed_at INTEGER NOT NULL
        );
        CREATE TABLE memberships (
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            domain TEXT NOT NULL,
            PRIMARY KEY (user_id, domain)
        ) WITHOUT ROWID;
        -- Tokens are stored as SHA-256 digests: a copy of the database gives no live session.
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            csrf_token TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_seen_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE api_tokens (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            last_used_at INTEGER
        ) WITHOUT ROWID;
        CREATE TABLE domains (
            name TEXT PRIMARY KEY,
            created_at INTEGER NOT NULL,
            dmarc_record TEXT
        ) WITHOUT ROWID;
        CREATE TABLE sign_in_failures (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            first_at INTEGER NOT NULL,
            locked_until INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            user_name TEXT,
            action TEXT NOT NULL,
            detail TEXT
        );
        """,
        // 7: administrators' decisions about sources, and the network owner from RDAP.
        """
        CREATE TABLE source_decisions (
            domain TEXT NOT NULL,
            ip TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('approved', 'not-mine')),
            decided_by TEXT NOT NULL,
            decided_at INTEGER NOT NULL,
            note TEXT,
            PRIMARY KEY (domain, ip)
        ) WITHOUT ROWID;
        ALTER TABLE ip_info ADD COLUMN network_owner TEXT;
        ALTER TABLE ip_info ADD COLUMN network_handle TEXT;
        ALTER TABLE ip_info ADD COLUMN rdap_fetched_at INTEGER;
        ALTER TABLE ip_info ADD COLUMN geo_fetched_at INTEGER;
        """,
        // 8: a record's first DKIM and first SPF result in the record's own row (nearly every record
        // has one of each): two fewer B-tree inserts per record and a smaller file. Further
        // results stay in dkim_results and spf_results (seq 1 on); rows written before keep all
        // theirs there (auth_inline 0). Readers use the views, which put both together.
        """
        ALTER TABLE records ADD COLUMN auth_inline INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE records ADD COLUMN dkim_domain TEXT;
        ALTER TABLE records ADD COLUMN dkim_selector TEXT;
        ALTER TABLE records ADD COLUMN dkim_result TEXT;
        ALTER TABLE records ADD COLUMN dkim_human_result TEXT;
        ALTER TABLE records ADD COLUMN spf_domain TEXT;
        ALTER TABLE records ADD COLUMN spf_scope TEXT;
        ALTER TABLE records ADD COLUMN spf_result TEXT;
        ALTER TABLE records ADD COLUMN spf_human_result TEXT;
        -- auth_inline: 1 = the first DKIM result is in the row, 2 = the first SPF result is.
        CREATE VIEW record_dkim AS
            SELECT id AS record_id, 0 AS seq, dkim_domain AS domain, dkim_selector AS selector,
                   dkim_result AS result, dkim_human_result AS human_result
            FROM records WHERE auth_inline & 1
            UNION ALL
            SELECT record_id, seq, domain, selector, result, human_result FROM dkim_results;
        CREATE VIEW record_spf AS
            SELECT id AS record_id, 0 AS seq, spf_domain AS domain, spf_scope AS scope,
                   spf_result AS result, spf_human_result AS human_result
            FROM records WHERE auth_inline & 2
            UNION ALL
            SELECT record_id, seq, domain, scope, result, human_result FROM spf_results;
        """,
    ]
}
