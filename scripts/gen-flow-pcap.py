#!/usr/bin/env python3
"""Writes a classic pcap of N short TCP conversations (one packet each way, random addresses and ports),
1 ms apart, for building nfdump archives to time. Used by scripts/compare-nfdump; not a runtime part of
medflow.  usage: gen-flow-pcap.py OUT.pcap N [SEED]"""
import random, struct, sys

def main():
    out, count = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 96, 1))
        buf = bytearray()
        t0 = 1_790_000_000
        for i in range(count):
            client = 0x0A000000 | rng.getrandbits(20)
            server = rng.choice((0x0A320100 | rng.getrandbits(8), 0xCB007100 | rng.getrandbits(8), 0x5DB8D822))
            cport, sport = 1024 + rng.getrandbits(15), rng.choice((443, 80, 445, 104, 11112, 53, 3389))
            usec = i * 1000
            for k, (s, d, sp, dp, flags) in enumerate(((client, server, cport, sport, 0x02), (server, client, sport, cport, 0x12))):
                ts = t0 * 1_000_000 + usec + k * 300
                ip = struct.pack(">BBHHHBBHII", 0x45, 0, 40, i & 0xFFFF, 0, 64, 6, 0, s, d)
                tcp = struct.pack(">HHIIBBHHH", sp, dp, i, 0, 0x50, flags, 65535, 0, 0)
                frame = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + tcp
                buf += struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(frame), len(frame)) + frame
            if len(buf) > 1 << 22:
                f.write(buf); buf.clear()
        f.write(buf)

if __name__ == "__main__":
    main()
