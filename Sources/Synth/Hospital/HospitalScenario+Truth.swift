import FlowModel

/// The truth file and policy of a hospital run, read from the tallies after the engine ran.
extension HospitalScenario {
    /// The policy `medflow analyze --policy` reads: every normal medical conversation is allowed (by CIDR
    /// and port, and the vendor broker by DNS name), so the planted conversations are the only violations.
    var policyYAML: String {
        """
        # Policy of the synthetic hospital written by `medflow synth` (see datasets/README.md).
        internal: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7]
        zones:
          - name: servers
            medical: false
            cidrs: [\(AddressPlan.servers.cidr)]
          - name: workstations
            medical: false
            cidrs: [\(AddressPlan.workstations.cidr), \(AddressPlan.workstations.cidr6!)]
          - name: pacs
            medical: true
            cidrs: [\(AddressPlan.pacs.cidr)]
            allow:
              - {dst: 10.10.0.53/32, ports: [53], proto: udp}
              - {dst: 10.10.0.123/32, ports: [123], proto: udp}
              - {dst: \(Self.teleradiology)/32, ports: [443], proto: tcp}
          - name: modality
            medical: true
            cidrs: [\(AddressPlan.modality.cidr)]
            allow:
              - {dst: \(AddressPlan.pacs.cidr), ports: [104, 11112], proto: tcp}
              - {dst: 10.10.0.53/32, ports: [53], proto: udp}
              - {dst: 10.10.0.123/32, ports: [123], proto: udp}
              - {name: "*.vendor-support.example", ports: [443], proto: tcp}
          - name: lab
            medical: true
            cidrs: [\(AddressPlan.lab.cidr)]
            allow:
              - {dst: 10.10.0.20/32, ports: [2575], proto: tcp}
              - {dst: 10.10.0.53/32, ports: [53], proto: udp}
              - {dst: 10.10.0.123/32, ports: [123], proto: udp}
          - name: pump
            medical: true
            cidrs: [\(AddressPlan.pump.cidr)]
            allow:
              - {dst: 10.10.0.30/32, ports: [443], proto: tcp}
              - {dst: 10.10.0.123/32, ports: [123], proto: udp}
          - name: monitor
            medical: true
            cidrs: [\(AddressPlan.monitor.cidr)]
            allow:
              - {dst: 10.10.0.40/32, ports: [24105], proto: udp}
              - {dst: 10.10.0.123/32, ports: [123], proto: udp}
        beacon_allowlist:
          cidrs: [10.10.0.30/32, 10.10.0.123/32, 10.10.0.40/32]
          names: ["*.ntp.org", "*.vendor-support.example"]
        thresholds:
          upload_bytes: 50000000
          fanout_peers: 20
          fanout_window_s: 600
          fanout_ports: [445, 139, 3389, 104, 11112, 22, 5985]

        """
    }

    /// The truth's lists, from what the run wrote.
    func truthLists() -> (beacons: [GroundTruth.Beacon], benign: [GroundTruth.Beacon], egress: [GroundTruth.Egress],
                          fanout: [GroundTruth.FanOut], uploads: [GroundTruth.Upload]) {
        var beacons: [GroundTruth.Beacon] = []
        var benign: [GroundTruth.Beacon] = []
        for entry in periodic {
            let count = entry.kind == "intra-flow" && entry.proto == "tcp"
                ? max(0, entry.tally.clientMessages - 1) : entry.tally.connections
            guard count > 0 else { continue }
            let beacon = GroundTruth.Beacon(
                src: entry.src.ip.description, dst: entry.dst.ip.description, dport: Int(entry.dport),
                proto: entry.proto, kind: entry.kind, malicious: entry.malicious, periodS: entry.period,
                meanIntervalS: entry.jitterKind.meanInterval(period: entry.period, jitter: entry.jitter),
                jitter: entry.jitter, jitterKind: entry.jitterKind.rawValue, missRate: entry.missRate,
                connections: count, firstSeen: Timestamp(nanoseconds: entry.tally.firstSeen).rfc3339,
                lastSeen: Timestamp(nanoseconds: entry.tally.lastSeen).rfc3339, label: entry.label)
            if entry.malicious { beacons.append(beacon) } else { benign.append(beacon) }
        }
        let egress = violations.filter { $0.tally.connections > 0 }.map {
            GroundTruth.Egress(src: $0.src.ip.description, zone: $0.zone, dst: $0.dst.ip.description,
                               dport: Int($0.dport), proto: $0.proto, reason: $0.reason, label: $0.label)
        }
        var fanout: [GroundTruth.FanOut] = []
        let touched = fanOutTallies.filter { $0.connections > 0 }
        if let source = fanOutSource, !touched.isEmpty {
            let first = touched.map(\.firstSeen).min()!
            let last = touched.map(\.firstSeen).max()!
            fanout.append(GroundTruth.FanOut(src: source.ip.description, dport: 445, proto: "tcp", peers: touched.count,
                                             windowS: (Double(last - first) / 1e6).rounded() / 1e3, zone: "modality",
                                             label: "smb-fanout"))
        }
        var uploads: [GroundTruth.Upload] = []
        if let upload, upload.tally.connections > 0 {
            uploads.append(GroundTruth.Upload(src: upload.src.ip.description, dst: upload.dst.ip.description, dport: 443,
                                              proto: "tcp", bytesOut: upload.tally.bytesOut, label: "pacs-exfiltration"))
        }
        return (beacons, benign, egress, fanout, uploads)
    }
}
