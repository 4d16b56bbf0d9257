import PacketCodec

/// Turns decoded packets into Zeek-style connection records.
///
/// ```swift
/// let analyzer = FlowAnalyzer { record in print(record.uid, record.connState, record.history) }
/// for packet in capture { analyzer.process(decoded, time: ns, bytes: frame) }
/// analyzer.finish()
/// ```
///
/// Each packet is keyed by its canonical 5-tuple (`FlowKey`) and handed to the TCP, UDP, ICMP or
/// generic IP logic. Flows are written (`onRecord`) when they end: TCP close delay after a close,
/// attempt delay after an unanswered SYN, inactivity timeouts, port reuse, the `maxFlows` cap, or
/// `finish()`. Time is packet time, so memory follows the number of *open* flows. Records come out
/// in the order flows end.
///
/// Steady state allocates nothing per packet: flow state lives in a contiguous array of structs,
/// history letters inline, strings are made only when a record is written.
public final class FlowAnalyzer {
    public let configuration: FlowConfiguration
    private let onRecord: (ConnectionRecord) -> Void
    private var table: FlowTable
    private var events: [[PacketEvent]] = []
    public private(set) var summary = AnalysisSummary()

    public init(configuration: FlowConfiguration = .init(), onRecord: @escaping (ConnectionRecord) -> Void) {
        self.configuration = configuration
        self.onRecord = onRecord
        self.table = FlowTable(configuration: configuration)
    }

    /// Called when a TCP handshake completes or is rejected, as the packet that does it is
    /// processed (for live views). Records still arrive through `onRecord` when flows end.
    public var onEvent: ((FlowEvent) -> Void)?

    /// Ends flows whose timeouts have passed by `time` (ns since the epoch). Packet time drives
    /// expiry; a live capture calls this on idle ticks so quiet flows still end.
    public func advance(to time: Int64) { expire(now: time) }

    /// Number of flows currently tracked.
    public var activeFlows: Int { table.count }

    /// Feeds one packet. `time` is nanoseconds since the epoch; `bytes` is the captured frame
    /// (used to read ICMP type/code).
    public func process(_ packet: DecodedPacket, time: Int64, bytes: UnsafeRawBufferPointer) {
        summary.packets &+= 1
        summary.bytes &+= UInt64(packet.wireLength)
        if summary.firstTime == nil { summary.firstTime = time }
        summary.lastTime = time
        if !packet.defects.isEmpty { summary.malformedPackets &+= 1 }

        expire(now: time)

        guard let proto = packet.ipProtocol, let src = packet.sourceAddress, let dst = packet.destinationAddress else {
            summary.otherPackets &+= 1
            return
        }
        summary.ipPackets &+= 1
        // Zeek drops IP packets whose header is unusable or whose length runs past the packet
        // (`truncated_IP`) before looking up a connection.
        if packet.defects.contains(.ipv4VersionInvalid) || packet.defects.contains(.ipv4HeaderLengthInvalid)
            || packet.defects.contains(.ipv4HeaderBeyondCapture) || packet.defects.contains(.ipv4TotalLengthInvalid)
            || packet.defects.contains(.ipv4TotalLengthExceedsFrame) || packet.defects.contains(.ipv6VersionInvalid)
            || packet.defects.contains(.ipv6PayloadLengthExceedsFrame) {
            summary.otherPackets &+= 1
            return
        }
        // Zeek drops packets with a bad IPv4 header checksum before connection lookup: their
        // addresses cannot be trusted.
        if let v4 = packet.ipv4, v4.checksumStatus == .bad {
            summary.badChecksumPackets &+= 1
            return
        }
        let ipLength = UInt64(packet.ipLength)

        switch proto {
        case 6:
            guard let tcp = packet.tcp else {
                summary.otherPackets &+= 1
                return
            }
            summary.tcpPackets &+= 1
            let usable = !packet.defects.contains(.tcpDataOffsetInvalid)
                && !packet.defects.contains(.tcpDataOffsetBeyondSegment)
                && !packet.defects.contains(.tcpDataOffsetBeyondCapture)
            processTCP(tcp, src: src, dst: dst, time: time, ipLength: ipLength, headerUsable: usable)
        case 17:
            guard let udp = packet.udp else { summary.otherPackets &+= 1; return }
            summary.udpPackets &+= 1
            processUDP(udp, src: src, dst: dst, time: time, ipLength: ipLength)
        case 1, 58:
            // The ICMP header is 8 bytes (RFC 792, RFC 4443); non-first fragments carry none.
            let o = packet.payloadOffset
            guard !(packet.ipv4?.fragmentOffsetUnits ?? 0 > 0), !(packet.ipv6?.fragmentOffsetUnits ?? 0 > 0),
                  packet.payloadLength >= 8, o >= 0, o + 2 <= bytes.count else {
                summary.otherPackets &+= 1
                return
            }
            let type = bytes.load(fromByteOffset: o, as: UInt8.self)
            let code = bytes.load(fromByteOffset: o + 1, as: UInt8.self)
            summary.otherPackets &+= 1
            processICMP(type: type, code: code, v6: proto == 58, length: packet.payloadLength, src: src, dst: dst,
                        time: time, ipLength: ipLength)
        default:
            summary.otherPackets &+= 1
            processOther(proto: proto, src: src, dst: dst, time: time, ipLength: ipLength)
        }
    }

    /// Writes every remaining flow with close reason `.endOfInput` (open connections keep their
    /// current state, e.g. S1), oldest first.
    public func finish() {
        var live: [Int32] = []
        for (_, i) in table.index { live.append(i) }
        live.sort { a, b in
            let ta = table.slots[Int(a)].startTime, tb = table.slots[Int(b)].startTime
            return ta != tb ? ta < tb : a < b
        }
        for i in live { emit(i, reason: .endOfInput) }
    }

    // MARK: Expiry

    private func expire(now: Int64) {
        while let (i, list) = table.expired(at: now) {
            emit(i, reason: list == .closing ? .closed : .timeout)
        }
    }

    private func makeRoom() {
        guard table.count >= configuration.maxFlows, let victim = table.oldest() else { return }
        summary.evictedFlows &+= 1
        emit(victim, reason: .evicted)
    }

    private func create(_ state: FlowState) -> Int32 {
        makeRoom()
        let i = table.insert(state)
        if configuration.keepEvents {
            while events.count <= Int(i) { events.append([]) }
            events[Int(i)].removeAll(keepingCapacity: false)
        }
        summary.flows &+= 1
        summary.maxConcurrentFlows = max(summary.maxConcurrentFlows, UInt64(table.count))
        return i
    }

    @inline(__always)
    private func countPacket(_ i: Int32, fromA: Bool, ipLength: UInt64, time: Int64) {
        table.slots.withUnsafeMutableBufferPointer { s in
            if fromA {
                s[Int(i)].packetsA &+= 1
                s[Int(i)].ipBytesA &+= ipLength
            } else {
                s[Int(i)].packetsB &+= 1
                s[Int(i)].ipBytesB &+= ipLength
            }
            s[Int(i)].lastSeen = time
        }
    }

    private func isBroadcast(_ a: IPAddress) -> Bool { a.isIPv4 && a.ipv4 == 0xffff_ffff }

    // MARK: TCP

    private func processTCP(_ h: TCPHeader, src: IPAddress, dst: IPAddress, time: Int64, ipLength: UInt64,
                            headerUsable: Bool) {
        let (key, fromA) = FlowKey.make(proto: 6, source: src, sourcePort: h.sourcePort,
                                        destination: dst, destinationPort: h.destinationPort)
        var idx = table.lookup(key)
        if let i = idx, headerUsable, table.slots[Int(i)].tcpIsReuse(h, fromA: fromA) {
            let reuse = table.slots[Int(i)].reuseIndex &+ 1
            emit(i, reason: .reused)
            idx = create(FlowState(key: key, kind: .tcp, origIsA: fromA, time: time, reuseIndex: reuse))
        }
        let i: Int32
        if let existing = idx {
            i = existing
        } else {
            // TCP.cc WantConnection: a first packet that is not a plain SYN may flip the roles
            // by likely server ports (never for a SYN-ACK whose both ports are likely servers).
            var flip = false
            let f = h.flags
            if !f.contains(.syn) || f.contains(.ack) {
                let ports = configuration.likelyServerPorts
                if ports.contains(h.sourcePort) {
                    flip = ports.contains(h.destinationPort) ? (!f.contains(.syn) && h.sourcePort < h.destinationPort) : true
                }
            }
            if isBroadcast(dst) { flip = false }
            var state = FlowState(key: key, kind: .tcp, origIsA: fromA, time: time, reuseIndex: 0)
            if flip { state.flipRoles() }
            i = create(state)
        }
        guard headerUsable else {
            // The connection exists (Zeek builds the tuple from the first 20 bytes), but the
            // segment is neither counted nor analyzed (`bad_TCP_header_len`, `truncated_header`).
            table.slots.withUnsafeMutableBufferPointer { s in
                if fromA { s[Int(i)].anomA.truncatedHeaders &+= 1 } else { s[Int(i)].anomB.truncatedHeaders &+= 1 }
                s[Int(i)].lastSeen = time
            }
            placeTCP(i, time: time)
            return
        }
        countPacket(i, fromA: fromA, ipLength: ipLength, time: time)
        if configuration.keepEvents && events[Int(i)].count < configuration.maxEventsPerFlow {
            events[Int(i)].append(PacketEvent(time: time, fromOriginator: fromA, flags: h.flags,
                                              sequenceNumber: h.sequenceNumber,
                                              acknowledgmentNumber: h.acknowledgmentNumber,
                                              payloadLength: h.payloadLength, window: h.window,
                                              checksumStatus: h.checksumStatus))
        }
        table.slots.withUnsafeMutableBufferPointer { s in
            switch h.checksumStatus {
            case .bad:
                summary.badChecksumPackets &+= 1
                if fromA { s[Int(i)].anomA.badChecksums &+= 1 } else { s[Int(i)].anomB.badChecksums &+= 1 }
                let due = fromA ? s[Int(i)].tcp.a.checksumErrors.record() : s[Int(i)].tcp.b.checksumErrors.record()
                if due { s[Int(i)].addLetter(UInt8(ascii: "C"), fromA: fromA) }
                if !(s[Int(i)].tcp.a.didClose && s[Int(i)].tcp.b.didClose) { s[Int(i)].lastTime = time }
                return
            case .partial:
                summary.partialChecksumPackets &+= 1
                if fromA { s[Int(i)].anomA.partialChecksums &+= 1 } else { s[Int(i)].anomB.partialChecksums &+= 1 }
            default:
                break
            }
            let before = s[Int(i)].handshakeMilestones
            s[Int(i)].processTCP(h, fromA: fromA, time: time)
            if let onEvent, s[Int(i)].handshakeMilestones != before {
                reportMilestones(s[Int(i)], before: before, time: time, to: onEvent)
            }
        }
        placeTCP(i, time: time)
    }

    private func placeTCP(_ i: Int32, time: Int64) {
        let f = table.slots[Int(i)]
        let orig = f.origIsA ? f.tcp.a : f.tcp.b
        let resp = f.origIsA ? f.tcp.b : f.tcp.a
        if f.tcp.closeTime >= 0 {
            table.place(i, in: .closing, time: time)
        } else if f.tcp.attemptTime >= 0 && (orig.state == .synSent || orig.state == .synAckSent) && resp.state == .inactive {
            table.place(i, in: .attempt, time: f.tcp.attemptTime)
        } else if orig.state == .inactive && resp.state == .inactive {
            table.place(i, in: .linger, time: time)
        } else if f.tcp.longTimeout {
            table.place(i, in: .tcpLong, time: time)
        } else {
            table.place(i, in: .short, time: time)
        }
    }

    // MARK: UDP, ICMP, other IP

    private func processUDP(_ u: UDPHeader, src: IPAddress, dst: IPAddress, time: Int64, ipLength: UInt64) {
        let (key, fromA) = FlowKey.make(proto: 17, source: src, sourcePort: u.sourcePort,
                                        destination: dst, destinationPort: u.destinationPort)
        let i: Int32
        if let existing = table.lookup(key) {
            i = existing
        } else {
            let ports = configuration.likelyServerPorts
            var state = FlowState(key: key, kind: .udp, origIsA: fromA, time: time, reuseIndex: 0)
            if ports.contains(u.sourcePort) && !ports.contains(u.destinationPort) && !isBroadcast(dst) {
                state.flipRoles()
            }
            i = create(state)
        }
        countPacket(i, fromA: fromA, ipLength: ipLength, time: time)
        table.slots.withUnsafeMutableBufferPointer { s in
            switch u.checksumStatus {
            case .bad:
                summary.badChecksumPackets &+= 1
                if fromA { s[Int(i)].anomA.badChecksums &+= 1 } else { s[Int(i)].anomB.badChecksums &+= 1 }
                s[Int(i)].recordDatagramChecksumError(fromA: fromA)
                s[Int(i)].lastTime = time
                return
            case .partial:
                summary.partialChecksumPackets &+= 1
                if fromA { s[Int(i)].anomA.partialChecksums &+= 1 } else { s[Int(i)].anomB.partialChecksums &+= 1 }
            default:
                break
            }
            s[Int(i)].processUDP(u, fromA: fromA, time: time)
        }
        table.place(i, in: .short, time: time)
    }

    private func processICMP(type: UInt8, code: UInt8, v6: Bool, length: Int, src: IPAddress, dst: IPAddress,
                             time: Int64, ipLength: UInt64) {
        let (sp, dp) = ICMPPorts.ports(type: type, code: code, v6: v6)
        let (key, fromA) = FlowKey.make(proto: v6 ? 58 : 1, source: src, sourcePort: sp, destination: dst, destinationPort: dp)
        let i = table.lookup(key) ?? create(FlowState(key: key, kind: .icmp, origIsA: fromA, time: time, reuseIndex: 0))
        countPacket(i, fromA: fromA, ipLength: ipLength, time: time)
        table.slots.withUnsafeMutableBufferPointer { s in
            s[Int(i)].lastTime = time
            if fromA {
                s[Int(i)].activeA = true
                s[Int(i)].sizeA &+= UInt64(length - 8)
            } else {
                s[Int(i)].activeB = true
                s[Int(i)].sizeB &+= UInt64(length - 8)
            }
        }
        table.place(i, in: .icmp, time: time)
    }

    private func processOther(proto: UInt8, src: IPAddress, dst: IPAddress, time: Int64, ipLength: UInt64) {
        let (key, fromA) = FlowKey.make(proto: proto, source: src, sourcePort: 0, destination: dst, destinationPort: 0)
        let i = table.lookup(key) ?? create(FlowState(key: key, kind: .other, origIsA: fromA, time: time, reuseIndex: 0))
        countPacket(i, fromA: fromA, ipLength: ipLength, time: time)
        table.slots[Int(i)].lastTime = time
        table.place(i, in: .other, time: time)
    }

    // MARK: Records

    private func emit(_ i: Int32, reason: CloseReason) {
        var kept: [PacketEvent] = []
        if configuration.keepEvents && Int(i) < events.count {
            kept = events[Int(i)]
            events[Int(i)] = []
        }
        let record = RecordBuilder.record(table.slots[Int(i)], reason: reason, events: kept)
        table.remove(i)
        summary.connStates[record.connState, default: 0] &+= 1
        if let h = record.handshake { summary.handshakeStates[h.state, default: 0] &+= 1 }
        if let t = record.teardown { summary.teardownStyles[t.style, default: 0] &+= 1 }
        onRecord(record)
    }

    // MARK: Live events

    private func reportMilestones(_ f: FlowState, before: FlowState.HandshakeMilestones, time: Int64,
                                  to onEvent: (FlowEvent) -> Void) {
        let after = f.handshakeMilestones
        let (orig, resp) = f.endpoints
        let uid = FlowUID.make(key: f.key, startTime: f.startTime, reuseIndex: f.reuseIndex)
        if after.opened && !before.opened {
            let o = f.origIsA ? f.tcp.hsA : f.tcp.hsB
            let r = f.origIsA ? f.tcp.hsB : f.tcp.hsA
            onEvent(FlowEvent(kind: .opened, time: time, uid: uid, originator: orig, responder: resp,
                              synToSynAck: o.synCount > 0 ? Double(r.synAckTime - o.synTime) / 1e9 : nil,
                              synAckToAck: Double(o.thirdAckTime - r.synAckTime) / 1e9))
        }
        if after.rejected && !before.rejected {
            onEvent(FlowEvent(kind: .rejected, time: time, uid: uid, originator: orig, responder: resp))
        }
    }
}

extension FlowState {
    struct HandshakeMilestones: Equatable {
        var opened: Bool
        var rejected: Bool
    }

    /// (originator, responder) after any role flip.
    var endpoints: (Endpoint, Endpoint) {
        let a = Endpoint(address: key.addressA, port: key.portA)
        let b = Endpoint(address: key.addressB, port: key.portB)
        return origIsA ? (a, b) : (b, a)
    }

    /// Whether the originator's handshake ACK (after a SYN-ACK) and a reject have been seen.
    var handshakeMilestones: HandshakeMilestones {
        let o = origIsA ? tcp.hsA : tcp.hsB
        let r = origIsA ? tcp.hsB : tcp.hsA
        return HandshakeMilestones(opened: o.thirdAckSeen && r.synAckCount > 0, rejected: tcp.rejected)
    }
}
