/// The one stylesheet, served at /static/app.css (the CSP allows styles from the server only).
enum Stylesheet {
    static let css = """
        :root { --ink: #1d2733; --muted: #5b6b7c; --line: #dde3ea; --bg: #f6f8fa; --card: #fff;
          --accent: #2459a8; --pass: #2f8f5b; --fail: #c8463d; --warn: #b7791f; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Hiragino Sans", "Noto Sans CJK JP",
          "Noto Sans JP", sans-serif; color: var(--ink); background: var(--bg); }
        a { color: var(--accent); text-decoration: none; }
        a:hover { text-decoration: underline; }
        header.top { background: #14263d; color: #fff; padding: 0 16px; display: flex; flex-wrap: wrap;
          align-items: center; gap: 4px 20px; }
        header.top .brand { font-weight: 700; letter-spacing: .02em; padding: 12px 0; color: #fff; }
        header.top nav { display: flex; flex-wrap: wrap; gap: 2px; flex: 1; }
        header.top nav a { color: #c9d6e6; padding: 12px 10px; }
        header.top nav a.here { color: #fff; box-shadow: inset 0 -3px 0 #6ea8ff; }
        header.top .who { display: flex; gap: 8px; align-items: center; font-size: 13px; color: #c9d6e6; }
        header.top .who form { margin: 0; }
        header.top .who button, header.top .who select { font-size: 13px; }
        main { max-width: 1180px; margin: 0 auto; padding: 20px 16px 48px; }
        h1 { font-size: 24px; margin: 4px 0 16px; font-weight: 650; overflow-wrap: anywhere; }
        h2 { font-size: 18px; margin: 28px 0 10px; font-weight: 650; }
        .muted { color: var(--muted); }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
        .card .label { color: var(--muted); font-size: 13px; }
        .card .value { font-size: 24px; font-weight: 650; }
        .card .delta { font-size: 12px; color: var(--muted); }
        .delta.up { color: var(--pass); } .delta.down { color: var(--fail); }
        .panel { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px;
          margin-top: 14px; }
        .table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 8px; }
        table { border-collapse: collapse; width: 100%; font-size: 14px; }
        th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-weight: 600; color: var(--muted); font-size: 13px; background: #fafbfc; white-space: nowrap; }
        td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
        tr:last-child td { border-bottom: 0; }
        /* break-word, not anywhere or break-all: those shrink a table column's minimum width to one
           letter, so "example.com" broke as "exampl|e.com"; this breaks only what cannot fit. */
        .wrap { overflow-wrap: break-word; }
        .chart { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px; }
        .chart svg { width: 100%; height: auto; display: block; }
        .chart svg.chart-narrow { display: none; }
        form.actions { margin: 10px 0 16px; }
        .ip { white-space: nowrap; }
        .chart figcaption { font-size: 12px; color: var(--muted); }
        .bar-pass { fill: var(--pass); } .bar-fail { fill: var(--fail); }
        .grid { stroke: var(--line); stroke-width: 1; } .axis { font-size: 11px; fill: var(--muted); }
        .key { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 10px; }
        .key-pass { background: var(--pass); } .key-fail { background: var(--fail); }
        .share { display: inline-flex; align-items: center; gap: 6px; white-space: nowrap; }
        .share svg { width: 60px; height: 8px; border-radius: 2px; }
        .share-bg { fill: #e8ecf0; } .share-pass { fill: var(--pass); } .share-fail { fill: var(--fail); }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #e8ecf0; }
        .badge.pass { background: #dff3e7; color: #1e6b42; } .badge.fail { background: #fbe3e1; color: #9b2c24; }
        .badge.warn { background: #fdf0d5; color: #7a520f; }
        form.filters { display: flex; flex-wrap: wrap; gap: 10px; align-items: end; margin: 0 0 14px; }
        form.filters label, form.stack label { display: flex; flex-direction: column; font-size: 13px; color: var(--muted); gap: 3px; }
        form.stack { display: grid; gap: 12px; max-width: 560px; }
        input, select, textarea, button { font: inherit; padding: 6px 8px; border: 1px solid #b9c4cf; border-radius: 6px;
          background: #fff; color: var(--ink); }
        button, .button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer;
          padding: 6px 14px; border-radius: 6px; display: inline-block; }
        button.plain { background: transparent; color: inherit; border-color: #5d7290; }
        .periods a { padding: 4px 10px; border: 1px solid var(--line); border-radius: 14px; background: #fff; margin-right: 4px; }
        .periods a.here { background: var(--accent); color: #fff; border-color: var(--accent); }
        details > summary { cursor: pointer; }
        .notice { padding: 10px 14px; border-radius: 8px; background: #e7f0fd; border: 1px solid #c5d9f7; margin: 0 0 14px; }
        .notice.error { background: #fbe3e1; border-color: #f2bdb8; }
        pre.record { white-space: pre-wrap; overflow-wrap: anywhere; background: #0f1b2a; color: #e2ecf7; padding: 12px;
          border-radius: 8px; }
        .signin { max-width: 380px; margin: 10vh auto; background: var(--card); border: 1px solid var(--line);
          border-radius: 10px; padding: 24px; }
        .signin h1 { margin-top: 0; }
        footer { max-width: 1180px; margin: 0 auto; padding: 0 16px 24px; font-size: 12px; color: var(--muted); }
        @media (max-width: 640px) {
          header.top { padding: 0 10px; } main { padding: 14px 10px 40px; }
          .card .value { font-size: 20px; } th, td { padding: 6px 8px; }
          .chart svg.chart-wide { display: none; } .chart svg.chart-narrow { display: block; }
        }
        @media print {
          header.top, footer, form.filters, .no-print { display: none; }
          body { background: #fff; } main { max-width: none; padding: 0; }
          .card, .panel, .table-wrap, .chart { border-color: #999; break-inside: avoid; }
          .chart svg.chart-wide { display: block; } .chart svg.chart-narrow { display: none; }
        }
        """
}
