import FlowModel

/// The planted MEDJACK activity: C2 beacons, a C2 channel inside one TLS session, SMB fan-out, a large
/// upload, a lab analyser speaking HL7 to the Internet, and an inbound VNC session into a modality.
extension HospitalScenario {
    /// One planted flow beacon.
    struct PlantedBeacon {
        var src: Host
        var zone: String?
        var dst: String
        var dport: UInt16
        var period: Double
        var jitter: Double
        var kind: JitterKind
        var missRate: Double
        var label: String
    }

    func plantedBeacons() -> [PlantedBeacon] {
        let modalities = plan.modalities
        return [
            PlantedBeacon(src: plan.workstation(2 % workstationCount), zone: nil, dst: "185.141.27.9", dport: 443,
                          period: 10, jitter: 0, kind: .none, missRate: 0.05, label: "c2-workstation-fast"),
            PlantedBeacon(src: plan.pumps[5], zone: "pump", dst: "103.224.182.250", dport: 443, period: 30,
                          jitter: 0.5, kind: .uniform, missRate: 0.2, label: "c2-pump-uniform50"),
            PlantedBeacon(src: modalities[0].host, zone: "modality", dst: "203.0.113.77", dport: 443, period: 60,
                          jitter: 0.2, kind: .uniform, missRate: 0.1, label: "c2-ct-uniform20"),
            PlantedBeacon(src: plan.labAnalysers[1], zone: "lab", dst: "198.51.100.23", dport: 443, period: 300,
                          jitter: 0.5, kind: .oneSided, missRate: 0.3, label: "c2-bga-cobaltstrike50"),
            PlantedBeacon(src: plan.workstation(7 % workstationCount), zone: nil, dst: "91.219.236.18", dport: 443,
                          period: 900, jitter: 0.3, kind: .oneSided, missRate: 0.1, label: "c2-workstation-slow"),
            PlantedBeacon(src: plan.archive, zone: "pacs", dst: "45.77.65.211", dport: 8443, period: 3600,
                          jitter: 0.1, kind: .uniform, missRate: 0, label: "c2-pacs-hourly"),
        ]
    }

    func installAttack(into engine: Engine) {
        for (index, beacon) in plantedBeacons().enumerated() {
            let tally = Tally()
            let server = plan.external(beacon.dst)
            periodic.append(Periodic(src: beacon.src, dst: server, dport: beacon.dport, proto: "tcp", kind: "flow",
                                     malicious: true, period: beacon.period, jitter: beacon.jitter,
                                     jitterKind: beacon.kind, missRate: beacon.missRate, label: beacon.label,
                                     tally: tally))
            if let zone = beacon.zone {
                violations.append(Violation(src: beacon.src, dst: server, dport: beacon.dport, proto: "tcp", zone: zone,
                                            reason: "external-not-allowed", label: beacon.label, tally: tally))
            }
            let first = start + Int64(random.uniform(0.05, 0.6) * min(beacon.period, duration / 4) * 1e9)
            engine.add(PeriodicSource(period: beacon.period, jitter: beacon.jitter, kind: beacon.kind,
                                      missRate: beacon.missRate, start: first,
                                      random: random.fork(3_000 + UInt64(index))) { [unowned self] time, random, engine in
                let messages = [Message(fromClient: true, length: random.int(230...260), style: .tls),
                                Message(fromClient: false, length: random.int(1_380...1_460), style: .tls, delay: 3_000_000),
                                Message(fromClient: true, length: random.int(90...130), style: .tls),
                                Message(fromClient: false, length: random.chance(0.9) ? random.int(48...80) : random.int(400...2_000),
                                        style: .tls, delay: 5_000_000)]
                self.tcp(engine, beacon.src, server, port: beacon.dport, at: time, messages, rtt: 90_000_000, mbps: 10,
                         random: &random, tally: tally)
            })
        }
        installIntraFlowChannel(into: engine)
        installFanOut(into: engine)
        installUpload(into: engine)
        installLabExfiltration(into: engine)
        installInboundVNC(into: engine)
    }

    /// MEDJACK.3's X-ray viewer as a C2 centre: one TLS session for the whole capture with a burst every 45 s.
    private func installIntraFlowChannel(into engine: Engine) {
        let source = plan.modalities[3].host
        let server = plan.external("194.165.16.76")
        var channelRandom = random.fork(3_100)
        let period = 45.0
        var messages = [Message(fromClient: true, length: 517, style: .tls),
                        Message(fromClient: false, length: 2_800, style: .tls, delay: 60_000_000)]
        var elapsed = 10.0
        while elapsed < duration - 30 {
            let interval = period * (1 + channelRandom.uniform(-0.1, 0.1))
            elapsed += interval
            messages.append(Message(fromClient: true, length: channelRandom.int(150...190), style: .tls,
                                    delay: Int64(interval * 1e9)))
            messages.append(Message(fromClient: false, length: channelRandom.int(60...120), style: .tls,
                                    delay: 80_000_000))
        }
        let tally = Tally()
        periodic.append(Periodic(src: source, dst: server, dport: 443, proto: "tcp", kind: "intra-flow", malicious: true,
                                 period: period, jitter: 0.1, jitterKind: .uniform, missRate: 0,
                                 label: "c2-xray-viewer-intra-flow", tally: tally))
        violations.append(Violation(src: source, dst: server, dport: 443, proto: "tcp", zone: "modality",
                                    reason: "external-not-allowed", label: "c2-xray-viewer-intra-flow", tally: tally))
        tcp(engine, source, server, port: 443, at: start + 3_000_000_000, messages, rtt: 120_000_000, mbps: 10,
            random: &channelRandom, tally: tally)
    }

    /// A Conficker-style SMB sweep from an infected MR scanner into the workstation subnet.
    private func installFanOut(into engine: Engine) {
        let source = plan.modalities[2].host
        fanOutSource = source
        let sweepStart = time(atShare: 0.55)
        var sweepRandom = random.fork(3_200)
        for index in 0..<min(36, workstationCount) {
            let peer = plan.workstation(index)
            let tally = Tally()
            fanOutTallies.append(tally)
            violations.append(Violation(src: source, dst: peer, dport: 445, proto: "tcp", zone: "modality",
                                        reason: "internal-not-allowed", label: "smb-fanout", tally: tally))
            let at = sweepStart + Int64(Double(index) * 2.5e9 + sweepRandom.uniform(0, 2) * 1e9)
            let messages = [Message(fromClient: true, length: 198, style: .smb),
                            Message(fromClient: false, length: 252, style: .smb, delay: 1_000_000),
                            Message(fromClient: true, length: sweepRandom.int(300...420), style: .smb),
                            Message(fromClient: false, length: sweepRandom.int(120...300), style: .smb, delay: 2_000_000)]
            tcp(engine, source, peer, port: 445, at: at, messages, rtt: 350_000, mbps: 300, random: &sweepRandom,
                tally: tally)
        }
    }

    /// The MEDJACK exfiltration: the PACS archive uploading a large archive over TLS to an unknown host.
    private func installUpload(into engine: Engine) {
        let server = plan.external("47.91.32.14")
        let tally = Tally()
        upload = (plan.archive, server, tally)
        violations.append(Violation(src: plan.archive, dst: server, dport: 443, proto: "tcp", zone: "pacs",
                                    reason: "external-not-allowed", label: "pacs-exfiltration", tally: tally))
        var uploadRandom = random.fork(3_300)
        let messages = [Message(fromClient: true, length: 517, style: .tls),
                        Message(fromClient: false, length: 3_100, style: .tls, delay: 80_000_000),
                        Message(fromClient: true, length: uploadBytes, style: .tls),
                        Message(fromClient: false, length: 90, style: .tls, delay: 200_000_000)]
        tcp(engine, plan.archive, server, port: 443, at: time(atShare: 0.7), messages, rtt: 240_000_000, mbps: 90,
            random: &uploadRandom, tally: tally)
    }

    /// A blood-gas analyser pushing HL7 results to an Internet address (the Contec CMS8000 pattern).
    private func installLabExfiltration(into engine: Engine) {
        let analyser = plan.labAnalysers[2]
        let server = plan.external("203.0.113.120")
        let tally = Tally()
        violations.append(Violation(src: analyser, dst: server, dport: 2575, proto: "tcp", zone: "lab",
                                    reason: "external-not-allowed", label: "lab-hl7-to-internet", tally: tally))
        engine.add(PoissonSource(perHour: 3, curve: .flat, start: start, random: random.fork(3_400)) { [unowned self] time, random, engine in
            self.hl7Result(engine, analyser: analyser, server: server, port: 2575, at: time, random: &random, tally: tally)
        })
        engine.add(OneShot(at: start + 60_000_000_000, random: random.fork(3_401)) { [unowned self] time, random, engine in
            self.hl7Result(engine, analyser: analyser, server: server, port: 2575, at: time, random: &random, tally: tally)
        })
    }

    /// Someone on the Internet opening VNC sessions on the ultrasound cart.
    private func installInboundVNC(into engine: Engine) {
        let attacker = plan.external("185.220.101.47")
        let target = plan.modalities[5].host
        let tally = Tally()
        violations.append(Violation(src: attacker, dst: target, dport: 5900, proto: "tcp", zone: "modality",
                                    reason: "inbound-from-external", label: "inbound-vnc", tally: tally))
        var vncRandom = random.fork(3_500)
        for share in [0.35, 0.36] {
            var challenge: [UInt8] = []
            var response: [UInt8] = []
            for _ in 0..<16 {
                challenge.append(UInt8(vncRandom.int(0...255)))
                response.append(UInt8(vncRandom.int(0...255)))
            }
            let name = Array("US_WARD console".utf8)
            let serverInit: [UInt8] = [0x04, 0x00, 0x03, 0x00, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0,
                                       0, 0, 0, UInt8(name.count)] + name
            let messages = [Message(fromClient: false, bytes: ClinicalMessages.vncBanner),
                            Message(fromClient: true, bytes: ClinicalMessages.vncBanner, delay: 150_000_000),
                            Message(fromClient: false, bytes: [1, 2]),
                            Message(fromClient: true, bytes: [2]),
                            Message(fromClient: false, bytes: challenge),
                            Message(fromClient: true, bytes: response, delay: 300_000_000),
                            Message(fromClient: false, bytes: [0, 0, 0, 0]),
                            Message(fromClient: true, bytes: [1]),
                            Message(fromClient: false, bytes: serverInit)]
            tcp(engine, attacker, target, port: 5900, at: time(atShare: share), messages, rtt: 140_000_000, mbps: 5,
                random: &vncRandom, tally: tally)
        }
    }
}

