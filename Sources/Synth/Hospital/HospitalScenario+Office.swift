import FlowModel

/// Normal office traffic of the clinical workstations: web browsing (DNS first, some over IPv6, some
/// names behind CNAME chains), SMB and LDAPS to the domain controller.
extension HospitalScenario {
    /// A web site the workstations visit.
    struct Site {
        var name: String
        var cname: String?
        var v4: [UInt8]
        var v6: [UInt8]
    }

    static let siteNames = [
        "www.health-news.example", "portal.ehr-vendor.example", "mail.hospital-group.example",
        "www.drug-reference.example", "cdn.journal-archive.example", "www.weather-now.example",
        "login.office-cloud.example", "teams.office-cloud.example", "www.search-engine.example",
        "api.lab-catalog.example", "www.medical-society.example", "static.video-stream.example",
        "www.news-daily.example", "updates.os-vendor.example", "www.pharmacy-supply.example",
        "www.guidelines.example", "app.rota-planner.example", "www.maps-service.example",
        "docs.office-cloud.example", "www.insurance-portal.example",
    ]
    static let publicPrefixes: [(UInt8, UInt8)] = [(93, 184), (151, 101), (104, 16), (142, 250), (13, 107),
                                                   (52, 84), (34, 117), (172, 217), (23, 32), (199, 232)]

    /// The sites, with addresses and CNAMEs drawn from the seed.
    func makeSites(_ random: inout SplitMix64) -> [Site] {
        Self.siteNames.enumerated().map { index, name in
            let prefix = random.pick(Self.publicPrefixes)
            let v4: [UInt8] = [prefix.0, prefix.1, UInt8(random.int(0...255)), UInt8(random.int(1...254))]
            let v6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8, 0x40, UInt8(index), 0, 0, 0, 0, 0, 0, 0, 0, 0,
                               UInt8(random.int(1...254))]
            let cname = random.chance(0.4) ? "edge-\(index).cdn-provider.example" : nil
            return Site(name: name, cname: cname, v4: v4, v6: v6)
        }
    }

    func installOffice(into engine: Engine) {
        var siteRandom = random.fork(700)
        let sites = makeSites(&siteRandom)
        for index in 0..<workstationCount {
            engine.add(PoissonSource(perHour: 10, curve: .diurnal, start: start,
                                     random: random.fork(1_000 + UInt64(index))) { [unowned self] time, random, engine in
                self.visit(engine, workstation: index, site: random.pick(sites), at: time, random: &random)
            })
            engine.add(PoissonSource(perHour: 2, curve: .diurnal, start: start,
                                     random: random.fork(2_000 + UInt64(index))) { [unowned self] time, random, engine in
                self.domainSession(engine, client: self.plan.workstation(index), at: time, random: &random)
            })
        }
    }

    /// One web visit: a DNS lookup (A, or AAAA over IPv6), then one to three HTTPS connections.
    func visit(_ engine: Engine, workstation index: Int, site: Site, at time: Int64, random: inout SplitMix64) {
        let useIPv6 = random.chance(ipv6Share)
        let client = useIPv6 ? plan.workstation6(index) : plan.workstation(index)
        let owner = site.cname ?? site.name
        var answers: [DNSMessage.Answer] = []
        if let cname = site.cname { answers.append(.init(name: site.name, type: .cname, target: cname, ttl: 3600)) }
        answers.append(.init(name: owner, type: useIPv6 ? .aaaa : .a, address: useIPv6 ? site.v6 : site.v4, ttl: 120))
        let resolved = dnsLookup(engine, client: plan.workstation(index), name: site.name, type: useIPv6 ? .aaaa : .a,
                                 answers: answers, at: time, random: &random)
        let address = useIPv6 ? ipv6Text(site.v6) : site.v4.map(String.init).joined(separator: ".")
        let server = plan.external(address)
        var connectionStart = resolved + 500_000
        for _ in 0..<random.int(1...3) {
            tcp(engine, client, server, port: 443, at: connectionStart,
                Self.tlsMessages(&random, request: 600, response: 25_000, rounds: random.int(1...4), thinkTime: 1.5,
                                 spread: 1.3),
                rtt: Int64(random.uniform(8, 60) * 1e6), mbps: 40, random: &random)
            connectionStart += Int64(random.exponential(mean: 0.08) * 1e9) + 1_000_000
        }
    }

    /// A workstation talking to the domain controller: an SMB session (logon scripts, group policy,
    /// shares) or an LDAPS query.
    func domainSession(_ engine: Engine, client: Host, at time: Int64, random: inout SplitMix64) {
        if random.chance(0.35) {
            tcp(engine, client, plan.domainController, port: 636, at: time,
                Self.tlsMessages(&random, request: 400, response: 2_500, rounds: random.int(1...3)),
                rtt: 300_000, mbps: 500, random: &random)
            return
        }
        var messages: [Message] = []
        for round in 0..<random.int(3...12) {
            messages.append(Message(fromClient: true, length: random.int(120...900), style: .smb,
                                    delay: round == 0 ? 0 : Int64(random.exponential(mean: 0.2) * 1e9)))
            messages.append(Message(fromClient: false, length: Int(min(600_000, random.logNormal(median: 1_500, sigma: 1.4))) + 80,
                                    style: .smb, delay: Int64(random.uniform(0.2, 3) * 1e6)))
        }
        tcp(engine, client, plan.domainController, port: 445, at: time, messages, rtt: 300_000, mbps: 500,
            random: &random)
    }

    /// The text of a 16-byte IPv6 address.
    func ipv6Text(_ bytes: [UInt8]) -> String {
        var groups: [String] = []
        for index in stride(from: 0, to: 16, by: 2) {
            groups.append(String(UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]), radix: 16))
        }
        return groups.joined(separator: ":")
    }
}
