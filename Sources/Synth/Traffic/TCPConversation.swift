import Output
import FlowModel

/// How the bytes of a message are framed in each TCP segment.
enum SegmentStyle {
    /// Exactly the message's bytes.
    case explicit([UInt8])
    /// Each segment one TLS application-data record.
    case tls
    /// Each segment one NetBIOS session message (SMB).
    case smb
    /// Each segment one DICOM P-DATA-TF PDU of an image's Pixel Data.
    case dicom
}

/// One application message: bytes one side sends before the other answers.
struct Message {
    /// Sent by the initiator.
    var fromClient: Bool
    /// Total TCP payload bytes.
    var length: Int
    /// Framing.
    var style: SegmentStyle
    /// Think time before the message starts, after the previous one arrived.
    var delay: Int64

    init(fromClient: Bool, bytes: [UInt8], delay: Int64 = 0) {
        self.fromClient = fromClient
        length = bytes.count
        style = .explicit(bytes)
        self.delay = delay
    }

    init(fromClient: Bool, length: Int, style: SegmentStyle, delay: Int64 = 0) {
        self.fromClient = fromClient
        self.length = length
        self.style = style
        self.delay = delay
    }
}

/// One TCP connection: three-way handshake, messages segmented at the MSS with an ACK every second
/// segment, then FIN from the initiator. Sequence and acknowledgement numbers are consistent
/// throughout; the transfer rate and RTT set the timing.
final class TCPConversation: Actor {
    private enum Phase { case syn, synAck, handshakeAck, data, fin, finAck, lastAck, done }

    let client: Host
    let server: Host
    let clientPort: UInt16
    let serverPort: UInt16
    private(set) var nextTime: Int64
    private let messages: [Message]
    private let rtt: Int64
    private let bytesPerNanosecond: Double
    private let mss: Int
    private let tally: Tally?
    private var phase = Phase.syn
    private var clientSeq: UInt32
    private var serverSeq: UInt32
    private var messageIndex = 0
    private var offset = 0
    private var segmentIndex = 0
    private var unacked = 0
    private var ackPendingFromClient: Bool?
    private var dataTime: Int64 = 0
    private var fillerOffset: Int

    init(client: Host, server: Host, clientPort: UInt16, serverPort: UInt16, start: Int64, messages: [Message],
         rtt: Int64, megabitsPerSecond: Double, random: inout SplitMix64, tally: Tally? = nil) {
        self.client = client
        self.server = server
        self.clientPort = clientPort
        self.serverPort = serverPort
        self.nextTime = start
        self.messages = messages
        self.rtt = max(rtt, 2_000)
        self.bytesPerNanosecond = megabitsPerSecond / 8_000
        self.mss = client.ip.isIPv4 ? 1460 : 1440
        self.tally = tally
        clientSeq = UInt32(truncatingIfNeeded: random.next())
        serverSeq = UInt32(truncatingIfNeeded: random.next())
        fillerOffset = Int(random.next() % 60_000) & ~1
    }

    func step(_ engine: Engine) throws(OutputError) -> Bool {
        let now = nextTime
        switch phase {
        case .syn:
            tally?.connections += 1
            try send(engine, fromClient: true, flags: TCPFlags.syn, at: now)
            clientSeq &+= 1
            phase = .synAck
            nextTime = now + rtt / 2
        case .synAck:
            try send(engine, fromClient: false, flags: TCPFlags.syn | TCPFlags.ack, at: now)
            serverSeq &+= 1
            phase = .handshakeAck
            nextTime = now + rtt / 2
        case .handshakeAck:
            try send(engine, fromClient: true, flags: TCPFlags.ack, at: now)
            phase = messages.isEmpty ? .fin : .data
            nextTime = now + 50_000 + (messages.first?.delay ?? 0)
        case .data:
            try dataStep(engine, at: now)
        case .fin:
            try send(engine, fromClient: true, flags: TCPFlags.fin | TCPFlags.ack, at: now)
            clientSeq &+= 1
            phase = .finAck
            nextTime = now + rtt / 2
        case .finAck:
            try send(engine, fromClient: false, flags: TCPFlags.fin | TCPFlags.ack, at: now)
            serverSeq &+= 1
            phase = .lastAck
            nextTime = now + rtt / 2
        case .lastAck:
            try send(engine, fromClient: true, flags: TCPFlags.ack, at: now)
            phase = .done
        case .done:
            return false
        }
        return phase != .done
    }

    private func dataStep(_ engine: Engine, at now: Int64) throws(OutputError) {
        if let fromClient = ackPendingFromClient {
            try send(engine, fromClient: fromClient, flags: TCPFlags.ack, at: now)
            ackPendingFromClient = nil
            nextTime = max(dataTime, now + 1)
            if messageIndex == messages.count { phase = .fin }
            return
        }
        let message = messages[messageIndex]
        var length = min(mss, message.length - offset)
        // Never leave a tail too short to hold the per-segment header (TLS record, NetBIOS, PDV).
        let tail = message.length - offset - length
        if tail > 0, tail < 32 { length -= 32 }
        let isLast = offset + length == message.length
        try sendSegment(engine, message: message, length: length, isLast: isLast, at: now)
        offset += length
        segmentIndex += 1
        unacked += 1
        let gap = max(1_000, Int64(Double(length + 66) / bytesPerNanosecond))
        var ackAt: Int64?
        if isLast {
            messageIndex += 1
            offset = 0
            segmentIndex = 0
            unacked = 0
            let done = messageIndex == messages.count
            // The receiver acknowledges unless its own next message carries the ACK.
            if done || messages[messageIndex].fromClient == message.fromClient { ackAt = now + rtt / 2 }
            dataTime = done ? now + rtt + 20_000_000 : now + gap + rtt / 2 + messages[messageIndex].delay
        } else {
            if unacked == 2 {
                ackAt = now + min(gap / 2, rtt / 2)
                unacked = 0
            }
            dataTime = now + gap
        }
        if let ackAt {
            ackPendingFromClient = !message.fromClient
            nextTime = ackAt
            dataTime = max(dataTime, ackAt + 1)
        } else {
            nextTime = dataTime
        }
    }

    private func sendSegment(_ engine: Engine, message: Message, length: Int, isLast: Bool, at time: Int64) throws(OutputError) {
        if segmentIndex == 0, message.fromClient { tally?.clientMessages += 1 }
        let flags = TCPFlags.ack | (isLast ? TCPFlags.psh : 0)
        begin(engine, fromClient: message.fromClient, flags: flags)
        let builder = engine.builder
        var filler = length
        switch message.style {
        case .explicit(let bytes):
            builder.append(bytes[offset..<offset + length])
            filler = 0
        case .tls:
            builder.appendTLSRecordHeader(bodyLength: length - 5)
            filler -= 5
        case .smb:
            builder.append32(UInt32(length - 4))  // NetBIOS session message: type 0, 24-bit length
            filler -= 4
        case .dicom:
            // P-DATA-TF (type 4, PDU length) with one PDV (length, presentation context, flags).
            let pdu = UInt32(length - 6), pdv = pdu - 4
            builder.append32(0x0400_0000 | pdu >> 16)
            builder.append32((pdu & 0xFFFF) << 16 | pdv >> 16)
            builder.append32((pdv & 0xFFFF) << 16 | UInt32(DICOMMessages.presentationContext) << 8 | (isLast ? 0x02 : 0x00))
            filler -= DICOMMessages.dataHeaderLength
            if segmentIndex == 0 {
                let segments = (message.length + mss - 1) / mss
                let pixels = message.length - segments * DICOMMessages.dataHeaderLength - DICOMMessages.pixelHeaderLength
                builder.append(DICOMMessages.pixelDataHeader(length: pixels))
                filler -= DICOMMessages.pixelHeaderLength
            }
        }
        fillerOffset = (fillerOffset + 2 * length + 2) % 60_000 & ~1
        builder.appendFiller(count: filler, offset: fillerOffset)
        try finish(engine, fromClient: message.fromClient, at: time)
        if message.fromClient { clientSeq &+= UInt32(length) } else { serverSeq &+= UInt32(length) }
    }

    private func send(_ engine: Engine, fromClient: Bool, flags: UInt8, at time: Int64) throws(OutputError) {
        begin(engine, fromClient: fromClient, flags: flags)
        try finish(engine, fromClient: fromClient, at: time)
    }

    private func begin(_ engine: Engine, fromClient: Bool, flags: UInt8) {
        let builder = engine.builder
        if fromClient {
            builder.begin(from: client, to: server, proto: TransportProtocol.tcp, sourcePort: clientPort,
                          destinationPort: serverPort)
            builder.tcpHeader(seq: clientSeq, ack: serverSeq, flags: flags, window: 64_240)
        } else {
            builder.begin(from: server, to: client, proto: TransportProtocol.tcp, sourcePort: serverPort,
                          destinationPort: clientPort)
            builder.tcpHeader(seq: serverSeq, ack: clientSeq, flags: flags, window: 65_160)
        }
    }

    private func finish(_ engine: Engine, fromClient: Bool, at time: Int64) throws(OutputError) {
        let wire = try engine.emit(at: time)
        tally?.saw(time, bytes: wire, outbound: fromClient)
    }
}
