import FlowModel

/// Normal medical traffic: DICOM studies, image retrieval, HL7 results, pump heartbeats, monitor
/// streams, NTP, teleradiology and vendor remote service.
extension HospitalScenario {
    /// DNS names of the vendor remote-service broker; the policy allows `*.vendor-support.example`.
    static let vendorName = "srs.vendor-support.example"
    static let vendorBroker = "broker.vendor-support.example"
    static let vendorAddress = "198.51.100.40"
    static let teleradiology = "203.0.113.10"

    func installClinical(into engine: Engine) {
        for (index, modality) in plan.modalities.enumerated() {
            engine.add(PoissonSource(perHour: modality.studiesPerHour, curve: .diurnal, start: start,
                                     random: random.fork(100 + UInt64(index))) { [unowned self] time, random, engine in
                self.study(engine, modality: modality, at: time, random: &random)
            })
            engine.add(PoissonSource(perHour: 0.15, curve: .flat, start: start,
                                     random: random.fork(120 + UInt64(index))) { [unowned self] time, random, engine in
                self.vendorSession(engine, client: modality.host, at: time, random: &random)
            })
        }
        engine.add(PoissonSource(perHour: Double(workstationCount) * 0.4, curve: .diurnal, start: start,
                                 random: random.fork(130)) { [unowned self] time, random, engine in
            let viewer = self.plan.workstation(random.int(0...(self.workstationCount - 1)))
            self.retrieval(engine, viewer: viewer, at: time, random: &random)
        })
        engine.add(PoissonSource(perHour: 0.6, curve: .diurnal, start: start,
                                 random: random.fork(140)) { [unowned self] time, random, engine in
            let server = self.plan.external(Self.teleradiology)
            let messages = [Message(fromClient: true, length: 517, style: .tls),
                            Message(fromClient: false, length: 2_900, style: .tls),
                            Message(fromClient: true, length: random.int(3_000_000...12_000_000), style: .tls),
                            Message(fromClient: false, length: 320, style: .tls)]
            self.tcp(engine, self.plan.archive, server, port: 443, at: time, messages, rtt: 18_000_000, mbps: 60,
                     random: &random)
        })
        for (index, analyser) in plan.labAnalysers.enumerated() {
            engine.add(PoissonSource(perHour: 8, curve: .diurnal, start: start,
                                     random: random.fork(200 + UInt64(index))) { [unowned self] time, random, engine in
                self.hl7Result(engine, analyser: analyser, server: self.plan.hl7Engine, port: 2575, at: time,
                               random: &random, tally: nil)
            })
        }
        installPeriodicClinical(into: engine)
    }

    private func installPeriodicClinical(into engine: Engine) {
        for (index, pump) in plan.pumps.enumerated() {
            let tally = Tally()
            let period = index % 4 == 3 ? 30.0 : 60.0
            periodic.append(Periodic(src: pump, dst: plan.pumpServer, dport: 443, proto: "tcp", kind: "flow",
                                     malicious: false, period: period, jitter: 0.02, jitterKind: .uniform,
                                     missRate: 0, label: "pump-heartbeat", tally: tally))
            let first = start + Int64(random.uniform(0, period) * 1e9)
            engine.add(PeriodicSource(period: period, jitter: 0.02, kind: .uniform, missRate: 0, start: first,
                                      random: random.fork(300 + UInt64(index))) { [unowned self] time, random, engine in
                let messages = [Message(fromClient: true, length: random.int(180...220), style: .tls),
                                Message(fromClient: false, length: random.int(90...120), style: .tls)]
                self.tcp(engine, pump, self.plan.pumpServer, port: 443, at: time, messages, rtt: 4_000_000, mbps: 20,
                         random: &random, tally: tally)
            })
        }
        for (index, monitor) in plan.monitors.enumerated() {
            let tally = Tally()
            periodic.append(Periodic(src: monitor, dst: plan.centralStation, dport: 24_105, proto: "udp",
                                     kind: "intra-flow", malicious: false, period: 2, jitter: 0.002,
                                     jitterKind: .uniform, missRate: 0, label: "monitor-stream", tally: tally))
            engine.add(UDPStream(client: monitor, server: plan.centralStation, clientPort: ephemeralPort(monitor),
                                 serverPort: 24_105, start: start + Int64(random.uniform(0, 2) * 1e9),
                                 interval: 2_000_000_000, sizes: 260...380, random: random.fork(400 + UInt64(index)),
                                 tally: tally))
        }
        let ntpClients = plan.modalities.map(\.host) + plan.labAnalysers + [plan.archive, plan.domainController]
        for (index, client) in ntpClients.enumerated() {
            let tally = Tally()
            periodic.append(Periodic(src: client, dst: plan.ntp, dport: 123, proto: "udp", kind: "flow",
                                     malicious: false, period: 256, jitter: 0.01, jitterKind: .uniform, missRate: 0,
                                     label: "ntp-poll", tally: tally))
            engine.add(PeriodicSource(period: 256, jitter: 0.01, kind: .uniform, missRate: 0,
                                      start: start + Int64(random.uniform(0, 256) * 1e9),
                                      random: random.fork(500 + UInt64(index))) { [unowned self] time, _, engine in
                let reply = Int64(350_000)
                engine.add(UDPExchange(client: client, server: self.plan.ntp, clientPort: 123, serverPort: 123,
                                       start: time,
                                       datagrams: [.init(offset: 0, fromClient: true,
                                                         bytes: ClinicalMessages.ntp(mode: 3, unixNanoseconds: time)),
                                                   .init(offset: reply, fromClient: false,
                                                         bytes: ClinicalMessages.ntp(mode: 4, unixNanoseconds: time + reply))],
                                       tally: tally))
            })
        }
        let stationTally = Tally()
        periodic.append(Periodic(src: plan.centralStation, dst: plan.hl7Engine, dport: 2575, proto: "tcp", kind: "flow",
                                 malicious: false, period: 300, jitter: 0.01, jitterKind: .uniform, missRate: 0,
                                 label: "central-station-hl7-batch", tally: stationTally))
        engine.add(PeriodicSource(period: 300, jitter: 0.01, kind: .uniform, missRate: 0,
                                  start: start + Int64(random.uniform(0, 300) * 1e9),
                                  random: random.fork(600)) { [unowned self] time, random, engine in
            self.hl7Result(engine, analyser: self.plan.centralStation, server: self.plan.hl7Engine, port: 2575,
                           at: time, random: &random, tally: stationTally)
        })
    }

    /// A study: a burst of C-STORE associations from a modality to the archive.
    func study(_ engine: Engine, modality: AddressPlan.Modality, at time: Int64, random: inout SplitMix64) {
        var remaining = random.int(modality.images)
        var associationStart = time
        let instanceRoot = "1.2.826.0.1.3680043.10.\(random.int(1000...9999)).\(time / 1_000_000)"
        var instance = 0
        while remaining > 0 {
            let images = min(remaining, 25)
            remaining -= images
            var messages = [Message(fromClient: true,
                                    bytes: DICOMMessages.associateRequest(calling: modality.aeTitle, called: "PACS_ARCHIVE")),
                            Message(fromClient: false,
                                    bytes: DICOMMessages.associateAccept(calling: modality.aeTitle, called: "PACS_ARCHIVE"),
                                    delay: 2_000_000)]
            var bytes = 0
            for _ in 0..<images {
                instance += 1
                let uid = "\(instanceRoot).\(instance)"
                let length = Self.dicomLength(Int(Double(modality.imageBytes) * random.uniform(0.97, 1.03)))
                bytes += length
                messages.append(Message(fromClient: true, bytes: DICOMMessages.storeRequest(messageID: UInt16(instance), instance: uid)))
                messages.append(Message(fromClient: true, length: length, style: .dicom))
                messages.append(Message(fromClient: false,
                                        bytes: DICOMMessages.storeResponse(messageID: UInt16(instance), instance: uid),
                                        delay: Int64(random.uniform(2, 15) * 1e6)))
            }
            messages.append(Message(fromClient: true, bytes: DICOMMessages.release(request: true)))
            messages.append(Message(fromClient: false, bytes: DICOMMessages.release(request: false)))
            tcp(engine, modality.host, plan.archive, port: 104, at: associationStart, messages, rtt: 300_000, mbps: 400,
                random: &random)
            associationStart += Int64(Double(bytes) / 35e6 * 1e9) + Int64(Double(images) * 0.05e9) + 1_000_000_000
        }
    }

    /// A viewer retrieving a study: C-GET on the PACS, which sends the images back on the same association.
    func retrieval(_ engine: Engine, viewer: Host, at time: Int64, random: inout SplitMix64) {
        let ae = "VIEW_\(viewer.ip.v4 & 0xFF)"
        var messages = [Message(fromClient: true, bytes: DICOMMessages.associateRequest(calling: ae, called: "PACS_QR")),
                        Message(fromClient: false, bytes: DICOMMessages.associateAccept(calling: ae, called: "PACS_QR"),
                                delay: 2_000_000)]
        for image in 1...random.int(1...6) {
            let uid = "1.2.826.0.1.3680043.10.77.\(time / 1_000_000).\(image)"
            messages.append(Message(fromClient: false, bytes: DICOMMessages.storeRequest(messageID: UInt16(image), instance: uid),
                                    delay: 5_000_000))
            messages.append(Message(fromClient: false, length: Self.dicomLength(random.int(130_000...530_000)), style: .dicom))
            messages.append(Message(fromClient: true, bytes: DICOMMessages.storeResponse(messageID: UInt16(image), instance: uid)))
        }
        messages.append(Message(fromClient: true, bytes: DICOMMessages.release(request: true), delay: 50_000_000))
        messages.append(Message(fromClient: false, bytes: DICOMMessages.release(request: false)))
        tcp(engine, viewer, plan.pacsViewerServer, port: 104, at: time, messages, rtt: 400_000, mbps: 300, random: &random)
    }

    /// A TCP payload length for DICOM data: even (PDV and OB lengths must be), and with a last segment
    /// that holds at least a PDV header and some pixels.
    static func dicomLength(_ wanted: Int) -> Int {
        let even = wanted + (wanted & 1)
        let tail = even % 1460
        return tail > 0 && tail < 64 ? even + 64 : even
    }

    /// One HL7 result over MLLP: ORU^R01, then the engine's ACK.
    func hl7Result(_ engine: Engine, analyser: Host, server: Host, port: UInt16, at time: Int64,
                   random: inout SplitMix64, tally: Tally?) {
        let control = random.int(100_000...999_999)
        let stamp = Timestamp(nanoseconds: time).rfc3339.filter(\.isNumber).prefix(14)
        let messages = [
            Message(fromClient: true, bytes: ClinicalMessages.hl7Result(sendingApp: "ANALYSER\(analyser.ip.v4 & 0xFF)",
                                                                        controlID: control, patient: random.int(1...5000),
                                                                        value: random.int(88...100), timestamp: String(stamp))),
            Message(fromClient: false, bytes: ClinicalMessages.hl7Ack(controlID: control, timestamp: String(stamp)),
                    delay: Int64(random.uniform(5, 40) * 1e6)),
        ]
        tcp(engine, analyser, server, port: port, at: time, messages, rtt: 500_000, mbps: 100, random: &random,
            tally: tally)
    }

    /// A modality's vendor remote-service session through the broker, resolved by DNS first.
    func vendorSession(_ engine: Engine, client: Host, at time: Int64, random: inout SplitMix64) {
        let broker = plan.external(Self.vendorAddress)
        let answers = [DNSMessage.Answer(name: Self.vendorName, type: .cname, target: Self.vendorBroker),
                       DNSMessage.Answer(name: Self.vendorBroker, type: .a, address: [198, 51, 100, 40], ttl: 60)]
        let resolved = dnsLookup(engine, client: client, name: Self.vendorName, type: .a, answers: answers, at: time,
                                 random: &random)
        tcp(engine, client, broker, port: 443, at: resolved + 1_000_000,
            Self.tlsMessages(&random, request: 900, response: 6_000, rounds: random.int(2...6), thinkTime: 2),
            rtt: 35_000_000, mbps: 20, random: &random)
    }
}
