import DMARCCore
import DMARCNet

/// Turns the source profiles the store builds into classified sources and a readiness verdict:
/// names each source's service (catalogue: PTR, then DKIM and SPF domains), checks whether the
/// domain's SPF record authorises it (live DNS, cached), and applies `SourceClassifier`.
public struct SourceAnalysis: Sendable {
    public let psl: PublicSuffixList
    /// Nil: no DNS check, so "in your SPF" is unknown.
    public let authorizer: SPFAuthorizer?
    /// Extra PTR base domains from parsedmarc's map, named when the curated catalogue has nothing.
    public let reverseDNSMap: ReverseDNSMap?

    public init(psl: PublicSuffixList = .shared, authorizer: SPFAuthorizer?, reverseDNSMap: ReverseDNSMap? = nil) {
        self.psl = psl
        self.authorizer = authorizer
        self.reverseDNSMap = reverseDNSMap
    }

    /// A classifier with libpsl's organisational domains and the policy's alignment modes
    /// (relaxed when the policy is unknown, as RFC 7489 defaults).
    public func classifier(policy: PolicyInForce? = nil) -> SourceClassifier {
        let psl = self.psl
        return SourceClassifier(
            organizationalDomain: { psl.organizationalDomain($0) }, adkim: policy?.adkim ?? .relaxed,
            aspf: policy?.aspf ?? .relaxed)
    }

    /// The service identity of a catalogue entry, as the classifier takes it.
    static func identity(_ s: KnownService) -> ServiceIdentity {
        let kind: ServiceIdentity.Kind =
            switch s.kind {
            case .mailbox: .mailbox
            case .esp: .esp
            case .application: .application
            case .forwarder: .forwarder
            case .gateway: .gateway
            }
        return ServiceIdentity(id: s.id, name: s.name, kind: kind, alignDKIM: s.alignDKIM, alignSPF: s.alignSPF)
    }

    /// The service behind a source, from the curated catalogue, else parsedmarc's map.
    public func service(for p: SourceProfile) -> ServiceIdentity? {
        // Only evidence a spoofer cannot fake names a service: a forward-confirmed PTR, and DKIM
        // signatures and SPF results that passed.
        if let s = ServiceCatalogue.match(
            ptr: p.forwardConfirmed ? p.ptr : nil,
            dkimDomains: p.dkimSignatures.filter { $0.value.pass > 0 }.map(\.key),
            spfDomains: p.spfDomains.filter { $0.value.pass > 0 }.map(\.key))
        {
            return Self.identity(s)
        }
        if p.forwardConfirmed, let base = p.baseDomain, let entry = reverseDNSMap?.entry(forBaseDomain: base) {
            return ServiceIdentity(
                id: "map:" + base, name: entry.name, kind: Self.kind(mapType: entry.type), alignDKIM: "", alignSPF: ""
            )
            .withGenericAdvice()
        }
        return nil
    }

    /// What a parsedmarc map type says about a sender. Only mail services send for customers;
    /// ISPs, hosting and every other kind of organisation (banks, schools, shops) are networks
    /// that name the source and never vouch for it.
    static func kind(mapType: String) -> ServiceIdentity.Kind {
        switch mapType.trimmedASCII.lowercased() {
        case "email provider": .mailbox
        case "marketing": .esp
        case "email security": .gateway
        case "saas": .application
        default: .network
        }
    }

    /// Classifies one domain's sources; `policy` gives the alignment modes.
    public func classify(_ profiles: [SourceProfile], policy: PolicyInForce? = nil) -> [ClassifiedSource] {
        let classifier = self.classifier(policy: policy)
        return profiles.map { profile in
            var p = profile
            if p.service == nil { p.service = service(for: p) }
            if p.authorizedBySPF == nil, let authorizer, let address = IPAddress(p.ip) {
                p.authorizedBySPF = authorizer.authorizes(domain: p.domain, address: address)
            }
            return classifier.classify(p)
        }
    }
}

extension ServiceIdentity {
    /// Advice for a service known only by name (parsedmarc's map has no alignment notes).
    func withGenericAdvice() -> ServiceIdentity {
        var s = self
        s.alignDKIM = "Set up DKIM for your domain in \(name) (it gives you CNAME or TXT records to publish)."
        s.alignSPF = "Set a custom return-path (bounce) domain under your domain in \(name), if it offers one."
        return s
    }
}
