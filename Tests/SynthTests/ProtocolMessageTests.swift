import Testing

@testable import Synth

@Suite struct ProtocolMessageTests {
    @Test func dnsResponseWithACNAMEChainHasTheRightCountsAndPointer() {
        let answers = [DNSMessage.Answer(name: "srs.vendor-support.example", type: .cname, target: "broker.vendor-support.example"),
                       DNSMessage.Answer(name: "broker.vendor-support.example", type: .a, address: [198, 51, 100, 40])]
        let query = DNSMessage.query(id: 0x1234, name: "srs.vendor-support.example", type: .a)
        let response = DNSMessage.response(id: 0x1234, name: "srs.vendor-support.example", type: .a, answers: answers)
        #expect(Array(query[0..<6]) == [0x12, 0x34, 0x01, 0x00, 0x00, 0x01])
        #expect(Array(response[2..<8]) == [0x81, 0x80, 0x00, 0x01, 0x00, 0x02])
        // The question is echoed; the first answer points back at it (0xC00C).
        let questionEnd = query.count
        #expect(Array(response[12..<questionEnd]) == Array(query[12...]))
        #expect(Array(response[questionEnd..<(questionEnd + 2)]) == [0xC0, 0x0C])
        #expect(Array(response.suffix(4)) == [198, 51, 100, 40])
    }

    @Test func mllpFramesHL7() {
        let message = ClinicalMessages.hl7Result(sendingApp: "BGA", controlID: 7, patient: 1, value: 97, timestamp: "20260302080000")
        #expect(message.first == 0x0B && Array(message.suffix(2)) == [0x1C, 0x0D])
        #expect(String(decoding: message, as: UTF8.self).contains("ORU^R01"))
    }

    @Test func dicomPDULengthsAreConsistent() {
        let request = DICOMMessages.associateRequest(calling: "CT_MAIN", called: "PACS_ARCHIVE")
        let length = Int(request[2]) << 24 | Int(request[3]) << 16 | Int(request[4]) << 8 | Int(request[5])
        #expect(request[0] == 1 && length == request.count - 6)
        let store = DICOMMessages.storeRequest(messageID: 3, instance: "1.2.3.4")
        let pdu = Int(store[2]) << 24 | Int(store[3]) << 16 | Int(store[4]) << 8 | Int(store[5])
        #expect(pdu == store.count - 6 && store[11] == 0x03)
        let data = DICOMMessages.dataHeader(segmentLength: 1460, last: true)
        #expect(data.count == DICOMMessages.dataHeaderLength && data[11] == 0x02)
    }

    @Test func ntpPacketsAre48BytesWithModeAndVersion() {
        let request = ClinicalMessages.ntp(mode: 3, unixNanoseconds: SynthOptions.defaultStart)
        #expect(request.count == 48 && request[0] == 0x23)
        #expect(ClinicalMessages.ntp(mode: 4, unixNanoseconds: 0)[0] == 0x24)
    }

    @Test(arguments: [("out/x.pcap.zst", "out/x", ".pcap.zst", CaptureFormat.pcap),
                      ("x.pcapng", "x", ".pcapng", .pcapng), ("dir/y.lz4", "dir/y", ".lz4", .pcap)])
    func outputNamingSplitsTheStem(path: String, stem: String, ext: String, format: CaptureFormat) {
        let naming = OutputNaming(path: path)
        #expect(naming.stem == stem && naming.captureExtension == ext && naming.impliedFormat == format)
        #expect(naming.truthPath == stem + ".truth.json" && naming.policyPath == stem + ".policy.yaml")
        #expect(naming.capturePath(part: 3) == stem + "-0003" + ext)
    }
}
