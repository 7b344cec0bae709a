import Foundation
import Testing

@testable import Synth

/// A classic pcap or pcapng file read back record by record (test helper; little-endian files only).
struct ReadBackCapture {
    struct Record {
        var time: Int64
        var frame: [UInt8]
        var wireLength: Int
    }

    var records: [Record] = []
    var nanoseconds = false
    var snaplen = 0

    init(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ offset: Int) -> Int {
            Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
        }
        if u32(0) == 0x0A0D_0D0A {
            var offset = 0
            var resolution: Int64 = 1000
            while offset + 12 <= bytes.count {
                let type = u32(offset)
                let length = u32(offset + 4)
                #expect(u32(offset + length - 4) == length)
                if type == 1 {
                    snaplen = u32(offset + 12)
                    if bytes[offset + 16] == 9 { nanoseconds = bytes[offset + 20] == 9 }
                    resolution = nanoseconds ? 1 : 1000
                } else if type == 6 {
                    let stamp = Int64(u32(offset + 12)) << 32 | Int64(u32(offset + 16))
                    let captured = u32(offset + 20)
                    records.append(Record(time: stamp * resolution, frame: Array(bytes[(offset + 28)..<(offset + 28 + captured)]),
                                          wireLength: u32(offset + 24)))
                }
                offset += length
            }
            return
        }
        nanoseconds = u32(0) == 0xA1B2_3C4D
        snaplen = u32(16)
        var offset = 24
        while offset + 16 <= bytes.count {
            let captured = u32(offset + 8)
            let time = Int64(u32(offset)) * 1_000_000_000 + Int64(u32(offset + 4)) * (nanoseconds ? 1 : 1000)
            records.append(Record(time: time, frame: Array(bytes[(offset + 16)..<(offset + 16 + captured)]),
                                  wireLength: u32(offset + 12)))
            offset += 16 + captured
        }
    }
}

/// Header checks on one Ethernet frame.
enum FrameChecks {
    /// The offset of the IP header (after Ethernet and any 802.1Q tag) and the ethertype.
    static func ipStart(_ frame: [UInt8]) -> (Int, UInt16) {
        var offset = 12
        var type = UInt16(frame[12]) << 8 | UInt16(frame[13])
        while type == 0x8100 {
            offset += 4
            type = UInt16(frame[offset]) << 8 | UInt16(frame[offset + 1])
        }
        return (offset + 2, type)
    }

    /// The ones-complement sum of 16-bit words, folded.
    static func foldedSum(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        var sum: UInt64 = 0
        var index = bytes.startIndex
        while index + 1 < bytes.endIndex {
            sum += UInt64(bytes[index]) << 8 | UInt64(bytes[index + 1])
            index += 2
        }
        if index < bytes.endIndex { sum += UInt64(bytes[index]) << 8 }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return UInt16(sum)
    }

    /// Whether the TCP/UDP checksum of a complete (untruncated) IPv4 or IPv6 frame verifies.
    static func transportChecksumValid(_ frame: [UInt8]) -> Bool {
        let (ip, type) = ipStart(frame)
        var pseudo: [UInt8]
        let l4: Int
        let proto: UInt8
        if type == 0x0800 {
            l4 = ip + Int(frame[ip] & 0x0F) * 4
            proto = frame[ip + 9]
            pseudo = Array(frame[(ip + 12)..<(ip + 20)])
        } else {
            l4 = ip + 40
            proto = frame[ip + 6]
            pseudo = Array(frame[(ip + 8)..<(ip + 40)])
        }
        let length = frame.count - l4
        pseudo += [0, 0, UInt8(length >> 8), UInt8(length & 0xFF), 0, 0, 0, proto]
        let sum = Int(foldedSum(pseudo[...])) + Int(foldedSum(frame[l4...]))
        let folded = (sum & 0xFFFF) + (sum >> 16)
        return folded == 0xFFFF
    }
}
