/// Japanese for the notes and errors of the DMARC record generator and for why a DNS lookup
/// found no DMARC record, keyed by their `Explanation.code` (English comes with the explanation).
/// A test checks that every code in the generator and the lookup has an entry here with the
/// right placeholders.
extension Catalogue {
    static let japaneseRecordExplanations: [String: String] = [
        "gen.p.none": "p=none：失敗したメールも通常どおり配信され、レポートだけが送られます（監視）。",
        "gen.p.quarantine": "p=quarantine：失敗したメールは迷惑メールフォルダに入れられます。",
        "gen.p.reject": "p=reject：失敗したメールは受信を拒否されます。",
        "gen.sp.none": "sp=none：サブドメインでは、失敗したメールも通常どおり配信され、レポートだけが送られます。",
        "gen.sp.quarantine": "sp=quarantine：サブドメインでは、失敗したメールは迷惑メールフォルダに入れられます。",
        "gen.sp.reject": "sp=reject：サブドメインでは、失敗したメールは受信を拒否されます。",
        "gen.np.none": "np=none：DNS に存在しないサブドメインでは、失敗したメールも通常どおり配信され、レポートだけが送られます。",
        "gen.np.quarantine": "np=quarantine：DNS に存在しないサブドメインでは、失敗したメールは迷惑メールフォルダに入れられます。",
        "gen.np.reject": "np=reject：DNS に存在しないサブドメインでは、失敗したメールは受信を拒否されます。",
        "gen.adkim.s": "adkim=s：DKIM の署名ドメインが From ドメインと完全に一致する必要があります。",
        "gen.adkim.r": "adkim=r：同じ組織のドメインによる DKIM 署名であれば整合とみなします（既定）。",
        "gen.aspf.s": "aspf=s：SPF で確認したエンベロープのドメインが From ドメインと完全に一致する必要があります。",
        "gen.aspf.r": "aspf=r：同じ組織のドメインで SPF に成功していれば整合とみなします（既定）。",
        "gen.t": "t=y：テストモードです。受信側は p より 1 段階弱い処理をします（reject は quarantine に、quarantine は none に）。",
        "gen.no-rua": "rua なし：集約レポートは送られません。",
        "gen.rua": "rua={0}：日次の集約レポートの送信先です。",
        "gen.ruf": "ruf={0}：失敗レポートの送信先です。送る受信側はほとんどなく、送られるものには個人情報が含まれます。",
        "gen.fo.no-ruf": "fo={0}：ruf がないため効果はありません。",
        "gen.fo":
            "fo={0}：失敗レポートを送る条件です（0：SPF と DKIM のどちらも整合・成功しなかったとき、1：どちらかが整合・成功しなかったとき、d：DKIM 署名の検証に失敗したとき、s：SPF の評価に失敗したとき）。",
        "gen.pct": "pct={0}：RFC 7489 の受信側だけが、失敗したメールの {0}% にポリシーを適用します。RFC 9989 では pct は廃止されました（pct=0 の代わりに t=y）。",
        "gen.outside": "{0} は {1} の外部です。{0} 側で TXT {2} \"v=DMARC1;\" を公開しないと、受信側はレポートを送りません。",
        "gen.error.domain":
            "\"{0}\" は有効なドメイン名ではありません。example.com のように、英数字とハイフンのラベルをドットで区切ってください（日本語ドメインは xn-- 形式に変換してください）。",
        "gen.error.policy": "{0} \"{1}\" は DMARC のポリシーではありません。none、quarantine、reject のいずれかを指定してください。",
        "gen.error.alignment": "{0} \"{1}\" は整合モードではありません。r（緩和）か s（厳格）を指定してください。",
        "gen.error.destination":
            "{0} \"{1}\" はレポートの送信先として使えません（{2}）。dmarc@example.com のようなアドレスか、mailto: または https: の URI を指定してください。",
        "gen.error.pct": "pct {0} は 0〜100 の範囲外です。",
        "gen.error.fo": "fo \"{0}\" は無効です（{1}）。0、1、d、s をコロンで区切って指定してください（0 と 1 はどちらか一方だけ。例：1 や 1:d）。",
        "gen.error.internal": "生成したレコードの検証に失敗しました（{0}）。DMARCWatch の不具合です。",
        "dns.several": "DMARC レコードが {0} 件あります。受信側はすべて無視します。",
        "dns.not-dmarc": "TXT レコードはありますが、DMARC レコード（v=DMARC1）ではありません。",
        "dns.nxdomain": "この名前は存在しません（NXDOMAIN）。",
        "dns.no-txt": "この名前には TXT レコードがありません。",
        "dns.timeout": "DNS サーバーが応答しませんでした。",
        "dns.server-failure": "DNS サーバーがエラーを返しました（rcode {0}）。",
        "dns.failed": "DNS の問い合わせに失敗しました。",
    ]
}
