#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/Corpus/<target>/: a few small, valid inputs per fuzz target.

Everything comes from the project's own data (datasets/sample-loopback.pcap.zst, the synthetic hospital
capture, the policy files in datasets/) or is built here the way the test fixtures build it
(Tests/IngestTests/ExportFixtures.swift, FrameBuilder.swift, NfdumpFileBuilder.swift). nfdump files are
made with Debian's nfpcapd/nfdump, pcapng with editcap, compressed streams with the zstd and lz4 tools.

Run from the repository root: python3 Fuzz/make-seeds.py. Output is deterministic except for the
nfdump files, whose header records the time they were written.
"""
import glob
import os
import shutil
import struct
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Fuzz", "Corpus")
MAX_SEED = 4096

# ---------------------------------------------------------------------------------------------------
# helpers


def write(target, name, data):
    assert len(data) <= MAX_SEED, f"{target}/{name} is {len(data)} bytes"
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def run(*args, stdin=None):
    return subprocess.run(args, input=stdin, stdout=subprocess.PIPE, check=True).stdout


def read_pcap(data):
    """(header bytes, link type, [(record header, frame)]) of a little-endian classic pcap."""
    header = data[:24]
    link = struct.unpack_from("<I", data, 20)[0]
    records, at = [], 24
    while at + 16 <= len(data):
        caplen = struct.unpack_from("<I", data, at + 8)[0]
        if at + 16 + caplen > len(data):
            break
        records.append((data[at:at + 16], data[at + 16:at + 16 + caplen]))
        at += 16 + caplen
    return header, link, records


def pcap(link, frames, magic=0xA1B2C3D4, endian="<", snaplen=65535):
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, link)
    for i, frame in enumerate(frames):
        out += struct.pack(endian + "IIII", 1_700_000_000 + i, 1000 * i, len(frame), len(frame) + (i % 3))
        out += frame
    return out


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


# ---------------------------------------------------------------------------------------------------
# frames (as FrameBuilder.swift builds them)

MAC_A, MAC_B = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")


def ipv4(proto, payload, src=0x0A000001, dst=0x0A000002, options=b"", frag=0, ident=7):
    ihl = 5 + len(options) // 4
    header = struct.pack("!BBHHHBBHII", 0x40 | ihl, 0, ihl * 4 + len(payload), ident, frag, 64, proto, 0, src, dst)
    header += options
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ipv6(next_header, payload, ext=b""):
    src = bytes.fromhex("20010db8000000000000000000000001")
    dst = bytes.fromhex("20010db8000000000000000000000002")
    return struct.pack("!IHBB", 0x60000000, len(ext) + len(payload), next_header, 64) + src + dst + ext + payload


def tcp(sport=40000, dport=443, flags=0x02, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 65535, 0, 0) + payload


def udp(sport=40000, dport=53, payload=b""):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp(kind=8, code=0):
    return struct.pack("!BBHHH", kind, code, 0, 1, 1) + b"ping"


def ether(ethertype, payload, tags=()):
    out = MAC_B + MAC_A
    for tpid, vid in tags:
        out += struct.pack("!HH", tpid, vid)
    return out + struct.pack("!H", ethertype) + payload


def dns_response():
    """A response for a.example: a CNAME to b.example (compressed), then an A and an AAAA for b.example."""
    out = struct.pack("!HHHHHH", 0x1234, 0x8180, 1, 3, 0, 0)
    out += b"\x01a\x07example\x00" + struct.pack("!HH", 1, 1)
    out += b"\xc0\x0c" + struct.pack("!HHIH", 5, 1, 300, 4) + b"\x01b\xc0\x0e"
    out += b"\xc0\x27" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 7])  # b.example at 39
    out += b"\xc0\x27" + struct.pack("!HHIH", 28, 1, 60, 16) + bytes.fromhex("20010db8000000000000000000000053")
    return out


def frames_by_link():
    """(link-type index in LinkType.supported sorted by value, link type, frame) for every decoder path."""
    v4 = ipv4(6, tcp())
    v6 = ipv6(17, udp(payload=b"x"))
    dns = ipv4(17, udp(sport=53, dport=40000, payload=dns_response()))
    out = [
        (1, 1, ether(0x0800, v4)),
        (1, 1, ether(0x0800, dns)),
        (1, 1, ether(0x86DD, ipv6(0, tcp(), ext=bytes([6, 0]) + b"\x01\x04\0\0\0\0"))),  # hop-by-hop
        (1, 1, ether(0x86DD, ipv6(44, b"", ext=bytes([17, 0, 0, 9]) + b"\0\0\0\x2a"))),  # later fragment
        (1, 1, ether(0x0800, ipv4(1, icmp(0)), tags=[(0x88A8, 10), (0x8100, 20)])),  # QinQ
        (1, 1, ether(0x8847, struct.pack("!I", (16 << 12) | 0x100 | 64) + v4)),  # MPLS
        (1, 1, ether(0x8864, struct.pack("!BBHH", 0x11, 0, 1, len(v4) + 2) + b"\x00\x21" + v4)),  # PPPoE
        (1, 1, ether(0x0806, bytes(28))),  # ARP
        (1, 1, ether(0x0800, ipv4(6, tcp(flags=0x12), options=b"\x01\x01\x01\x00", frag=0x2000))),
        (0, 0, struct.pack("<I", 2) + v4),  # NULL
        (0, 0, struct.pack("<I", 30) + v6),
        (5, 108, struct.pack(">I", 24) + v6),  # LOOP
        (2, 12, v4),  # RAW (DLT 12)
        (4, 101, v6),  # LINKTYPE_RAW
        (7, 228, ipv4(58, b"")),  # IPv4 only (an odd protocol)
        (8, 229, ipv6(58, bytes([129, 0, 0, 0]))),  # IPv6 only, ICMPv6 echo reply
        (6, 113, struct.pack("!HHH", 0, 1, 6) + MAC_A + b"\0\0" + struct.pack("!H", 0x0800) + dns),  # SLL
        (9, 276, struct.pack("!HHIHBB", 0x86DD, 0, 1, 1, 0, 6) + MAC_A + b"\0\0" + v6),  # SLL2
    ]
    return out


# ---------------------------------------------------------------------------------------------------
# NetFlow v5/v9 and IPFIX (as ExportFixtures.swift builds them)

EXPORT_SECONDS = 1_700_000_000


def v5(count=2, sampling=0):
    out = struct.pack("!HHIIIIBBH", 5, count, 10_000, EXPORT_SECONDS, 500_000_000, 1, 0, 0, sampling)
    for i in range(count):
        out += struct.pack("!IIIHHIIIIHHBBBBHHBBH", 0x0A000001, 0x0A000002, 0, 1, 2, 3, 300, 4000, 9000,
                           1000 + i, 80, 0, 0x1B, 6, 0, 0, 0, 24, 24, 0)
    return out


def export_set(set_id, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack("!HH", set_id, 4 + len(body)) + body


def template(template_id, fields):
    out = struct.pack("!HH", template_id, len(fields))
    for element, length in fields:
        out += struct.pack("!HH", element, length)
    return out


V9_FIELDS = [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1), (6, 1), (1, 4), (2, 4), (22, 4), (21, 4)]


def v9_record(sport):
    return struct.pack("!IIHHBBIIII", 0xC0A80001, 0xC0A80002, sport, 443, 6, 0x12, 500, 5, 4000, 9000)


def v9(sets, source_id=1):
    return struct.pack("!HHIIII", 9, len(sets), 10_000, EXPORT_SECONDS, 7, source_id) + b"".join(sets)


def v9_options():
    """Options template 258 (scope: system, 4 bytes; option: sampling interval 34, 4 bytes) and its data."""
    body = struct.pack("!HHHHHHH", 258, 4, 4, 1, 4, 34, 4)
    return [export_set(1, body), export_set(258, struct.pack("!II", 1, 10))]


def ipfix(sets, domain=42, seconds=EXPORT_SECONDS):
    body = b"".join(sets)
    return struct.pack("!HHIII", 10, 16 + len(body), seconds, 1, domain) + body


def ipfix_template():
    """Template 300: IPv4 addresses, ports, proto, an enterprise field, a variable-length field, ms times,
    reverse octets (PEN 29305)."""
    out = struct.pack("!HH", 300, 10)
    for element, length in [(8, 4), (12, 4), (7, 2), (11, 2), (4, 1)]:
        out += struct.pack("!HH", element, length)
    out += struct.pack("!HHI", 0x8000 | 100, 4, 9)
    out += struct.pack("!HH", 82, 0xFFFF)  # interfaceName, variable length
    out += struct.pack("!HH", 152, 8) + struct.pack("!HH", 153, 8)
    out += struct.pack("!HHI", 0x8000 | 1, 8, 29305)
    return out


def ipfix_record(sport):
    return (struct.pack("!IIHHB", 0xC0A80001, 0x08080808, sport, 53, 17) + b"\0\0\0\x09" + b"\x03eth"
            + struct.pack("!QQQ", 1_700_000_000_000, 1_700_000_000_500, 1234))


def ipfix_options():
    """Options template 301 (scope: observation domain; systemInitTimeMilliseconds 160), its data, and a
    withdrawal of template 302."""
    body = struct.pack("!HHH", 301, 2, 1) + struct.pack("!HHHH", 149, 4, 160, 8)
    return [export_set(3, body), export_set(301, struct.pack("!IQ", 42, 1_699_990_000_000)),
            export_set(2, struct.pack("!HH", 302, 0))]


def v6_template_and_record():
    fields = [(27, 16), (28, 16), (7, 2), (11, 2), (4, 1), (1, 8), (2, 8), (22, 4), (21, 4)]
    record = (bytes.fromhex("20010db8000000000000000000000001") + bytes.fromhex("20010db8000000000000000000000002")
              + struct.pack("!HHBQQII", 5353, 5353, 17, 700, 7, 1000, 2000))
    return [export_set(0, template(257, fields)), export_set(257, record)]


def conversations():
    """Named lists of datagrams from exporter index 0–3."""
    return {
        "v5": [(0, v5(2)), (1, v5(1, sampling=0x4000 | 10))],
        "v9-template-then-data": [(0, v9([export_set(0, template(256, V9_FIELDS)),
                                          export_set(256, v9_record(1000) + v9_record(1001))]))],
        "v9-data-before-template": [(0, v9([export_set(256, v9_record(2000))])),
                                    (0, v9([export_set(0, template(256, V9_FIELDS))])),
                                    (1, v9([export_set(256, v9_record(2001))]))],
        "v9-options-ipv6": [(2, v9(v9_options() + v6_template_and_record(), source_id=3))],
        "ipfix": [(1, ipfix([export_set(2, ipfix_template()), export_set(300, ipfix_record(4000))])),
                  (1, ipfix(ipfix_options())),
                  (3, ipfix([export_set(300, ipfix_record(4001))]))],
    }


def split_format(datagrams):
    """The FuzzFlowExport layout: u16 prefix = exporter << 14 | length, then the datagram."""
    return b"".join(struct.pack("!H", exporter << 14 | len(d)) + d for exporter, d in datagrams)


# ---------------------------------------------------------------------------------------------------
# targets


def seed_captures(scratch):
    loop = run("zstd", "-dc", os.path.join(ROOT, "datasets", "sample-loopback.pcap.zst"))
    header, link, records = read_pcap(loop)
    small = header
    for record_header, frame in records:
        if len(small) + 16 + len(frame) > 2500:
            break
        small += record_header + frame
    write("FuzzPcap", "loopback-head.pcap", small)
    byte_swapped = struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)
    for record_header, frame in records[:6]:
        fields = struct.unpack("<IIII", record_header)
        byte_swapped += struct.pack(">IIII", *fields) + frame
    write("FuzzPcap", "loopback-big-endian.pcap", byte_swapped)

    hospital = subprocess.run("zstd -dc datasets/hospital-2h.pcap.zst | head -c 400000", shell=True, cwd=ROOT,
                              stdout=subprocess.PIPE).stdout
    _, _, hospital_records = read_pcap(hospital)
    dns_payloads = []
    for _, frame in hospital_records:
        if len(frame) > 42 and frame[12:14] == b"\x08\x00" and frame[23] == 17 and frame[34:36] == b"\x00\x35":
            dns_payloads.append(frame[42:])
    for index, payload in enumerate(dns_payloads[:3]):
        write("FuzzDNS", f"hospital-response-{index}.dns", payload)
    write("FuzzDNS", "cname-a-aaaa.dns", dns_response())
    write("FuzzPcap", "hospital-dns.pcap",
          pcap(1, [f for _, f in hospital_records if len(f) > 42 and f[34:36] == b"\x00\x35"][:4], magic=0xA1B23C4D))

    by_link = {}
    for index, link_type, frame in frames_by_link():
        by_link.setdefault(link_type, []).append(frame)
        write("FuzzPacketDecoder", f"link{link_type}-{len(by_link[link_type])}.frame", bytes([index]) + frame)
    for link_type, frames in sorted(by_link.items()):
        write("FuzzPcap", f"link{link_type}.pcap", pcap(link_type, frames))

    for name in ["loopback-head.pcap", "link113.pcap", "link276.pcap", "link1.pcap"]:
        source = os.path.join(CORPUS, "FuzzPcap", name)
        target = os.path.join(scratch, name + "ng")
        run("editcap", "-F", "pcapng", source, target)
        with open(target, "rb") as f:
            write("FuzzPcapng", name.replace(".pcap", ".pcapng"), f.read())
    return loop


def seed_exports():
    for name, datagrams in conversations().items():
        write("FuzzFlowExport", name + ".bin", split_format(datagrams))
    all_datagrams = [d for datagrams in conversations().values() for _, d in datagrams]
    prefixed = b"".join(struct.pack("!I", len(d)) + d for d in all_datagrams)
    write("FuzzDatagramFile", "length-prefixed.bin", prefixed)
    write("FuzzDatagramFile", "concatenated-v5-ipfix.bin",
          v5(2) + ipfix([export_set(2, ipfix_template()), export_set(300, ipfix_record(4000))]) + v5(1))


def nfdump_blocks(data):
    """(compression, [(records, type, payload)]) of an nfdump 1.7 file."""
    compression = data[16]
    blocks, at = [], 40
    appendix = struct.unpack_from("<q", data, 24)[0]
    end = appendix if 40 < appendix <= len(data) else len(data)
    while at + 12 <= end:
        records, size, block_type = struct.unpack_from("<IIH", data, at)
        blocks.append((records, block_type, data[at + 12:at + 12 + size]))
        at += 12 + size
    return compression, blocks


def seed_nfdump(scratch, loop):
    loop_path = os.path.join(scratch, "loop.pcap")
    with open(loop_path, "wb") as f:
        f.write(loop)
    files = {}
    for name, flag in [("none", None), ("lzo", "-z"), ("lz4", "-y")]:
        folder = os.path.join(scratch, "nf-" + name)
        os.makedirs(folder)
        args = ["nfpcapd", "-r", loop_path, "-w", folder, "-I", "fuzzseed"] + ([flag] if flag else [])
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        [path] = glob.glob(os.path.join(folder, "nfcapd.*"))
        files[name] = path
    bz2 = os.path.join(scratch, "nfcapd.bz2")
    shutil.copy(files["none"], bz2)
    subprocess.run(["nfdump", "-r", bz2, "-J", "2"], check=True, stdout=subprocess.DEVNULL)
    files["bz2"] = bz2
    for name, path in files.items():
        with open(path, "rb") as f:
            data = f.read()
        write("FuzzNfdumpFile", f"nfpcapd-{name}.nfcapd", data)
        compression, blocks = nfdump_blocks(data)
        records, block_type, payload = blocks[0]
        seed = bytes([compression]) + struct.pack("<IH", records, block_type) + payload
        write("FuzzNfdumpBlock", f"nfpcapd-{name}.block", seed[:MAX_SEED])

    # nfdump 1.7.1 writes no zstd blocks; recompress the plain file's blocks as nfdump 1.7.3 would.
    with open(files["none"], "rb") as f:
        plain = f.read()
    _, blocks = nfdump_blocks(plain)
    header = bytearray(plain[:40])
    header[16] = 4  # zstd
    header[18:20] = b"\0\0"  # no appendix
    out = bytes(header[:24]) + struct.pack("<q", 0) + bytes(header[32:])
    for records, block_type, payload in blocks:
        compressed = run("zstd", "-q", "-c", "--no-check", stdin=payload)
        out += struct.pack("<IIHH", records, len(compressed), block_type, 0) + compressed
    write("FuzzNfdumpFile", "recompressed-zstd.nfcapd", out)
    records, block_type, payload = blocks[0]
    write("FuzzNfdumpBlock", "recompressed-zstd.block",
          bytes([4]) + struct.pack("<IH", records, block_type) + run("zstd", "-q", "-c", stdin=payload))


def seed_compressed():
    source = os.path.join(CORPUS, "FuzzPcap", "loopback-head.pcap")
    with open(source, "rb") as f:
        data = f.read()
    write("FuzzZstd", "level1.zst", run("zstd", "-q", "-1", "-c", source))
    write("FuzzZstd", "level19-checksum.zst", run("zstd", "-q", "-19", "--check", "-c", source))
    skippable = struct.pack("<II", 0x184D2A50, 4) + b"skip"
    write("FuzzZstd", "skippable-two-frames.zst",
          skippable + run("zstd", "-q", "-c", stdin=data[:600]) + run("zstd", "-q", "-c", stdin=data[600:1200]))
    write("FuzzZstd", "zeros-rle.zst", run("zstd", "-q", "-c", stdin=bytes(200_000)))
    write("FuzzLZ4", "default.lz4", run("lz4", "-q", "-c", source))
    write("FuzzLZ4", "block-checksum-64k.lz4", run("lz4", "-q", "-B4", "-BX", "--content-size", "-c", source))
    write("FuzzLZ4", "linked-blocks.lz4", run("lz4", "-q", "-BD", "-c", stdin=data + data))
    write("FuzzLZ4", "zeros.lz4", run("lz4", "-q", "-c", stdin=bytes(200_000)))


def seed_policies():
    for name in ["example-policy.yaml", "hospital-2h.policy.yaml"]:
        with open(os.path.join(ROOT, "datasets", name), "rb") as f:
            write("FuzzPolicyYAML", name, f.read())
    write("FuzzPolicyYAML", "mud-zone.yaml", b"""internal: [10.0.0.0/8, "fd00::/8"]
controllers:
  urn:ietf:params:mud:dns: [10.0.0.53]
zones:
  - name: pumps
    kind: pump
    medical: yes
    cidrs: 10.70.0.0/16
    mud: pump.json
    my_controller: [10.0.0.9]
    allow:
      - {dst: 203.0.113.0/24, ports: [443, 8000-8080], proto: tcp, comment: vendor}
      - name: ["*.pumpco.example", updates.example.]
thresholds: {upload_ratio: 2.5, fanout_ports: [445, 100-110]}
""")
    aces = b""""aces": {"ace": [
  {"name": "v6", "matches": {"ipv6": {"next-header": 17, "destination-ipv6-network": "2001:db8:1::/48"},
    "udp": {"destination-port": {"lower-port": 5000, "upper-port": 5010}}}, "actions": {"forwarding": "accept"}},
  {"name": "dns", "matches": {"ipv4": {"protocol": 6, "ietf-acldns:dst-dnsname": "Updates.PumpCo.example."},
    "tcp": {"ietf-mud:direction-initiated": "from-device", "destination-port": {"operator": "gte", "port": 8443}}},
    "actions": {"forwarding": "accept"}},
  {"name": "neq", "matches": {"ipv4": {"destination-ipv4-network": "198.51.100.0/24"},
    "tcp": {"destination-port": {"operator": "neq", "port": 23}}}, "actions": {"forwarding": "accept"}},
  {"name": "ctl", "matches": {"ietf-mud:mud": {"controller": "urn:ietf:params:mud:dns"}, "udp": {}}},
  {"name": "mine", "matches": {"ietf-mud:mud": {"my-controller": [null], "local-networks": [null]}}},
  {"name": "model", "matches": {"ietf-mud:mud": {"model": "urn:pump"}}},
  {"name": "drop", "matches": {}, "actions": {"forwarding": "drop"}}]}"""
    for key in [b"ietf-access-control-list:acls", b"ietf-access-control-list:access-lists"]:
        mud = (b'{"ietf-mud:mud": {"mud-version": 1, "mud-url": "https://mud.example/pump",\n'
               b' "from-device-policy": {"access-lists": {"access-list": [{"name": "fr"}]}}},\n'
               b' "' + key + b'": {"acl": [{"name": "fr", "type": "ipv4-acl-type", ' + aces + b"}]}}\n")
        write("FuzzMUDJSON", key.split(b":")[1].decode() + ".json", mud)


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    with tempfile.TemporaryDirectory() as scratch:
        loop = seed_captures(scratch)
        seed_exports()
        seed_nfdump(scratch, loop)
        seed_compressed()
        seed_policies()
    for target in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, target))
        size = sum(os.path.getsize(os.path.join(CORPUS, target, f)) for f in files)
        print(f"{target}: {len(files)} seeds, {size} bytes")


if __name__ == "__main__":
    main()
