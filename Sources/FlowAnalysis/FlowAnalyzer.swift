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
///
/// The mutable state (flow table, events, summary, `onEvent`) lives in memory the analyzer
/// allocates once and reaches through `let` pointers, so the per-packet path pays no dynamic
/// exclusivity checks (`swift_beginAccess`) for class properties. Callbacks may still read
/// `summary` or `activeFlows` re-entrantly, as with plain stored properties.
public final class FlowAnalyzer {
    public let configuration: FlowConfiguration
    /// Keeps uids distinct when a 5-tuple starts a new flow at the same timestamp as an earlier
    /// one that was evicted or timed out (per-flow reuse counters are gone by then).
    private var uidGuard = UIDGuard()
    private let onRecord: (ConnectionRecord) -> Void
    private let tableStorage: UnsafeMutablePointer<FlowTable>
    private let eventsStorage: UnsafeMutablePointer<[[PacketEvent]]>
    private let summaryStorage: UnsafeMutablePointer<AnalysisSummary>
    private let onEventStorage: UnsafeMutablePointer<((FlowEvent) -> Void)?>
    /// IP fragment reassembly (a rare path: plain stored properties).
    private var fragments: FragmentReassembler
    private let fragmentDecoder: PacketDecoder
    /// The packet being processed (its outermost Ethernet names a new flow's link-layer
    /// addresses); one store per packet.
    private let currentPacket: UnsafeMutablePointer<UnsafePointer<DecodedPacket>?>
    /// Link-layer addresses of each slot's flow, physical sides A and B, written at creation
    /// (Zeek's `Connection` takes `l2_src`/`l2_dst` of the first packet; a role flip swaps
    /// them, which the side mapping does here): per slot the number of its (A, B) pair in
    /// `L2Pairs` (0: none), 4 bytes a flow, since a capture holds few distinct pairs.
    private let l2Storage: UnsafeMutablePointer<[UInt32]>
    private var l2PairOfSlot: [UInt32] {
        @inline(__always) unsafeAddress { UnsafePointer(l2Storage) }
        @inline(__always) unsafeMutableAddress { l2Storage }
    }
    private var l2Pairs = L2Pairs()
    /// ICMP errors attached to flows, by slot (a rare path: a plain stored property; emptied
    /// as each flow's record is written).
    private var icmpErrorNotes: [Int32: ICMPErrorNote] = [:]
    /// Tunnelled flows' tunnel facts, indexed by slot, from their first packet (empty until a
    /// tunnel is seen; plain flows never touch it).
    private let tunnelStorage: UnsafeMutablePointer<[TunnelSide?]>
    /// The parents each slot's flow has named, as plain data (the per-packet check).
    private let knownStorage: UnsafeMutablePointer<[KnownParents]>
    private var tunnels: [TunnelSide?] {
        @inline(__always) unsafeAddress { UnsafePointer(tunnelStorage) }
        @inline(__always) unsafeMutableAddress { tunnelStorage }
    }
    /// tunnel.log state (touched by tunnelled packets only).
    private let registryStorage: UnsafeMutablePointer<TunnelRegistry>
    private var registry: TunnelRegistry {
        @inline(__always) unsafeAddress { UnsafePointer(registryStorage) }
        @inline(__always) unsafeMutableAddress { registryStorage }
    }
    private let onTunnelStorage: UnsafeMutablePointer<((TunnelEvent) -> Void)?>
    /// The slot the last packet was placed in (read after a tunnelled packet).
    private let lastSlot: UnsafeMutablePointer<Int32>
    /// The flow contexts met so far, numbered (keys carry the number).
    private let contextStorage: UnsafeMutablePointer<FlowContextTable>
    private var contexts: FlowContextTable {
        @inline(__always) unsafeAddress { UnsafePointer(contextStorage) }
        @inline(__always) unsafeMutableAddress { contextStorage }
    }

    private var table: FlowTable {
        @inline(__always) unsafeAddress { UnsafePointer(tableStorage) }
        @inline(__always) unsafeMutableAddress { tableStorage }
    }
    private var events: [[PacketEvent]] {
        @inline(__always) unsafeAddress { UnsafePointer(eventsStorage) }
        @inline(__always) unsafeMutableAddress { eventsStorage }
    }
    public private(set) var summary: AnalysisSummary {
        @inline(__always) unsafeAddress { UnsafePointer(summaryStorage) }
        @inline(__always) unsafeMutableAddress { summaryStorage }
    }

    public init(configuration: FlowConfiguration = .init(), onRecord: @escaping (ConnectionRecord) -> Void) {
        self.configuration = configuration
        self.onRecord = onRecord
        fragments = FragmentReassembler()
        fragments.timeout = configuration.fragmentTimeout
        fragmentDecoder = PacketDecoder(verifyChecksums: configuration.verifyChecksums)
        tableStorage = .allocate(capacity: 1)
        tableStorage.initialize(to: FlowTable(configuration: configuration))
        eventsStorage = .allocate(capacity: 1)
        eventsStorage.initialize(to: [])
        summaryStorage = .allocate(capacity: 1)
        summaryStorage.initialize(to: AnalysisSummary())
        onEventStorage = .allocate(capacity: 1)
        onEventStorage.initialize(to: nil)
        lastSlot = .allocate(capacity: 1)
        lastSlot.initialize(to: -1)
        contextStorage = .allocate(capacity: 1)
        contextStorage.initialize(to: FlowContextTable())
        tunnelStorage = .allocate(capacity: 1)
        tunnelStorage.initialize(to: [])
        knownStorage = .allocate(capacity: 1)
        knownStorage.initialize(to: [])
        registryStorage = .allocate(capacity: 1)
        registryStorage.initialize(to: TunnelRegistry())
        onTunnelStorage = .allocate(capacity: 1)
        onTunnelStorage.initialize(to: nil)
        currentPacket = .allocate(capacity: 1)
        currentPacket.initialize(to: nil)
        l2Storage = .allocate(capacity: 1)
        l2Storage.initialize(to: [])
    }

    deinit {
        tableStorage.pointee.deallocate()
        tableStorage.deinitialize(count: 1)
        tableStorage.deallocate()
        eventsStorage.deinitialize(count: 1)
        eventsStorage.deallocate()
        summaryStorage.deinitialize(count: 1)
        summaryStorage.deallocate()
        onEventStorage.deinitialize(count: 1)
        onEventStorage.deallocate()
        lastSlot.deallocate()
        contextStorage.deinitialize(count: 1)
        contextStorage.deallocate()
        tunnelStorage.deinitialize(count: 1)
        tunnelStorage.deallocate()
        knownStorage.deinitialize(count: 1)
        knownStorage.deallocate()
        registryStorage.deinitialize(count: 1)
        registryStorage.deallocate()
        onTunnelStorage.deinitialize(count: 1)
        onTunnelStorage.deallocate()
        currentPacket.deallocate()
        l2Storage.deinitialize(count: 1)
        l2Storage.deallocate()
    }

    /// Called when a TCP handshake completes or is rejected, as the packet that does it is
    /// processed (for live views). Records still arrive through `onRecord` when flows end.
    public var onEvent: ((FlowEvent) -> Void)? {
        get { onEventStorage.pointee }
        set { onEventStorage.pointee = newValue }
    }

    /// Called with Zeek's tunnel.log events (a tunnel discovered, closed or expired) as they
    /// happen. The tunnels are tracked either way (IP tunnels' uids name them in
    /// `tunnel_parents`).
    public var onTunnel: ((TunnelEvent) -> Void)? {
        get { onTunnelStorage.pointee }
        set { onTunnelStorage.pointee = newValue }
    }

    /// Ends flows whose timeouts have passed by `time` (ns since the epoch). Packet time drives
    /// expiry; a live capture calls this on idle ticks so quiet flows still end.
    public func advance(to time: Int64) { expire(now: time) }

    /// Number of flows currently tracked.
    public var activeFlows: Int { table.count }

    /// TCP connections currently holding a `TCPExtras` record (teardown, holes, anomalies).
    var tcpExtrasInUse: Int { table.tcpExtras.store.pointee.live }

    /// Feeds one packet. `time` is nanoseconds since the epoch; `bytes` is the captured frame
    /// (used to read ICMP type/code, and whole for an IP fragment, which is reassembled).
    public func process(_ packet: DecodedPacket, time: Int64, bytes: UnsafeRawBufferPointer) {
        withUnsafePointer(to: packet) { process(packetAt: $0, time: time, bytes: bytes) }
    }

    /// Feeds one packet read in place (no copy of the `DecodedPacket`, which is several
    /// hundred bytes): for callers that keep decoded packets in their own storage.
    public func process(packetAt packet: UnsafePointer<DecodedPacket>, time: Int64, bytes: UnsafeRawBufferPointer) {
        currentPacket.pointee = packet
        defer { currentPacket.pointee = nil }
        summary.packets &+= 1
        summary.bytes &+= UInt64(packet.pointee.wireLength)
        if summary.firstTime == nil { summary.firstTime = time }
        summary.lastTime = time
        let defects = packet.pointee.defects
        if defects.contains(.linkTypeUnsupported), case let .unknown(dlt) = packet.pointee.linkType {
            summary.unsupportedLinkTypes[dlt, default: 0] &+= 1
        } else if !defects.isEmpty { summary.malformedPackets &+= 1 }

        expire(now: time)

        // VLAN tags and tunnels give the flow key its context (a path of its own, so untagged,
        // untunnelled packets pay two tests for it).
        if packet.pointee.encapsulation.depth != 0 || packet.pointee.encapsulation.vlan != nil {
            processWithContext(packet, time: time, bytes: bytes)
        } else {
            processFlat(packet, contextID: 0, time: time, bytes: bytes)
        }
    }

    /// A VLAN-tagged or tunnelled packet: its context is numbered, the UDP flows that deliver
    /// its tunnel are processed first (outermost first), then its flat datagram; the flow that
    /// datagram reached (none if it was dropped) notes its tunnel.
    @inline(never)
    private func processWithContext(_ packet: UnsafePointer<DecodedPacket>, time: Int64, bytes: UnsafeRawBufferPointer) {
        let encapsulation = packet.pointee.encapsulation
        let context = FlowContext(encapsulation)
        let contextID = contexts.id(context)
        guard encapsulation.isTunnelled else {
            processFlat(packet, contextID: contextID, time: time, bytes: bytes)
            return
        }
        var parent = processDeliveryFlows(packet, bytes: bytes, time: time, contextID: contexts.id(context.linkOnly))
        // The innermost tunnel names the flow's parent (Zeek: `c$tunnel[|c$tunnel|-1]$uid`):
        // an IP tunnel (GRE, ERSPAN, IP-in-IP) if that is what directly wraps the datagram.
        switch encapsulation.tunnel {
        case .ipInIP, .gre, .erspan:
            if let source = encapsulation.outerSource, let destination = encapsulation.outerDestination {
                parent = ipTunnel(source, destination, type: encapsulation.tunnel, time: time)
            }
        default: break
        }
        lastSlot.pointee = -1
        processFlat(packet, contextID: contextID, time: time, bytes: bytes)
        noteTunnel(lastSlot.pointee, parent: parent, encapsulation, time: time)
    }

    /// The flat IP datagram of a packet (the innermost one of a tunnel), with its context.
    @inline(__always)
    private func processFlat(_ packet: UnsafePointer<DecodedPacket>, contextID: UInt32, time: Int64,
                             bytes: UnsafeRawBufferPointer) {
        let defects = packet.pointee.defects
        guard let proto = packet.pointee.ipProtocol, var src = packet.pointee.sourceAddress, var dst = packet.pointee.destinationAddress else {
            summary.otherPackets &+= 1
            return
        }
        // RFC 8200 §8.1: a Routing header's final destination and a Home Address option name
        // the connection's endpoints, as Zeek and tshark key it.
        if packet.pointee.etherType == EtherType.ipv6,
           (packet.pointee.ipv6?.finalDestinationOffset ?? 0) | (packet.pointee.ipv6?.homeAddressOffset ?? 0) != 0,
           let v6 = packet.pointee.ipv6 {
            src = v6.effectiveSource(in: bytes)
            dst = v6.effectiveDestination(in: bytes)
        }
        summary.ipPackets &+= 1
        // Zeek drops IP packets whose header is unusable or whose length runs past the packet
        // (`truncated_IP`) before looking up a connection.
        if !defects.isEmpty && (defects.contains(.ipv4VersionInvalid) || defects.contains(.ipv4HeaderLengthInvalid)
            || defects.contains(.ipv4HeaderBeyondCapture) || defects.contains(.ipv4TotalLengthInvalid)
            || defects.contains(.ipv4TotalLengthExceedsFrame) || defects.contains(.ipv6VersionInvalid)
            || defects.contains(.ipv6PayloadLengthExceedsFrame)) {
            summary.otherPackets &+= 1
            return
        }
        // Zeek drops packets with a bad IPv4 header checksum before connection lookup: their
        // addresses cannot be trusted.
        if let v4 = packet.pointee.ipv4, v4.checksumStatus != .good {
            if v4.checksumStatus == .bad {
                summary.badChecksumPackets &+= 1
                return
            }
            // 0x0000: never filled (transmit offload on the capturing host); analyzed, counted.
            if v4.checksumStatus == .partial { summary.offloadedIPv4HeaderChecksums &+= 1 }
        }
        // IP fragments (RFC 791 §3.2, RFC 8200 §4.5) reach the flows only as reassembled
        // datagrams, one packet each, as in Zeek (`FragReassembler`).
        if packet.pointee.isFragment {
            let datagram = fragments.add(packet, bytes: bytes, time: time, context: contextID)
            summary.fragments = fragments.counters
            if let datagram { processReassembled(datagram, fragment: packet, contextID: contextID, time: time) }
            return
        }
        processIP(packet, proto: proto, src: src, dst: dst, contextID: contextID, time: time, bytes: bytes)
    }

    /// A datagram reassembled from fragments (in context `contextID`), as one packet of its
    /// flow. If it carries a tunnel (a fragmented delivery datagram: VXLAN over a small MTU),
    /// its delivery flow and inner datagram are processed as a tunnelled packet's, with the
    /// fragments' VLAN ids; a tunnel around the fragments themselves is then not part of the
    /// inner flow's context (only the innermost tunnel is).
    @inline(never)
    private func processReassembled(_ datagram: [UInt8], fragment: UnsafePointer<DecodedPacket>, contextID: UInt32,
                                    time: Int64) {
        datagram.withUnsafeBytes { raw in
            var whole = fragmentDecoder.decode(raw, linkType: fragment.pointee.ipv4 != nil ? .ipv4 : .ipv6)
            if whole.encapsulation.isTunnelled {
                whole.encapsulation.vlan = fragment.pointee.encapsulation.vlan
                whole.encapsulation.innerVLAN = fragment.pointee.encapsulation.innerVLAN
                // Not another captured IP packet: the fragments were counted.
                let ipPackets = summary.ipPackets
                withUnsafePointer(to: whole) { processWithContext($0, time: time, bytes: raw) }
                summary.ipPackets = ipPackets
                return
            }
            guard let p = whole.ipProtocol, var s = whole.sourceAddress, var d = whole.destinationAddress,
                  whole.ipv4?.checksumStatus != .bad else { return }
            if let v6 = whole.ipv6 {
                s = v6.effectiveSource(in: raw)
                d = v6.effectiveDestination(in: raw)
            }
            withUnsafePointer(to: whole) { processIP($0, proto: p, src: s, dst: d, contextID: contextID, time: time, bytes: raw) }
        }
    }

    /// The flow part of `process`: an unfragmented (or reassembled) IP packet with usable
    /// addresses.
    @inline(__always)
    private func processIP(_ packet: UnsafePointer<DecodedPacket>, proto: UInt8, src: IPAddress, dst: IPAddress,
                           contextID: UInt32, time: Int64, bytes: UnsafeRawBufferPointer) {
        let defects = packet.pointee.defects
        let ipLength = UInt64(packet.pointee.ipLength)

        switch proto {
        case 6:
            guard let tcp = packet.pointee.tcp else {
                summary.otherPackets &+= 1
                return
            }
            summary.tcpPackets &+= 1
            let usable = defects.isEmpty || (!defects.contains(.tcpDataOffsetInvalid)
                && !defects.contains(.tcpDataOffsetBeyondSegment)
                && !defects.contains(.tcpDataOffsetBeyondCapture))
            processTCP(tcp, src: src, dst: dst, contextID: contextID, time: time, ipLength: ipLength, headerUsable: usable)
        case 17:
            guard let udp = packet.pointee.udp else { summary.otherPackets &+= 1; return }
            summary.udpPackets &+= 1
            processUDP(udp, src: src, dst: dst, contextID: contextID, time: time, ipLength: ipLength)
        case 1, 58:
            // The ICMP header is 8 bytes (RFC 792, RFC 4443); non-first fragments carry none.
            let o = packet.pointee.payloadOffset
            guard !(packet.pointee.ipv4?.fragmentOffsetUnits ?? 0 > 0), !(packet.pointee.ipv6?.fragmentOffsetUnits ?? 0 > 0),
                  packet.pointee.payloadLength >= 8, o >= 0, o + 2 <= bytes.count else {
                summary.otherPackets &+= 1
                return
            }
            let type = bytes.load(fromByteOffset: o, as: UInt8.self)
            let code = bytes.load(fromByteOffset: o + 1, as: UInt8.self)
            summary.otherPackets &+= 1
            processICMP(type: type, code: code, v6: proto == 58, length: packet.pointee.payloadLength, src: src, dst: dst,
                        contextID: contextID, time: time, ipLength: ipLength)
            if let icmp = packet.pointee.icmp, icmp.isError, icmp.checksumStatus != .bad {
                noteICMPError(icmp, from: src, contextID: contextID, time: time, bytes: bytes)
            }
        case 4, 41, 47, 59:
            // IP-in-IP or GRE whose inner packet did not decode (a PPTP ack-only GRE packet, a
            // truncated tunnel), or IPv6 No Next Header (a Teredo bubble): Zeek hands these to
            // its tunnel analyzers or stops, and logs no connection.
            summary.otherPackets &+= 1
        default:
            summary.otherPackets &+= 1
            processOther(proto: proto, src: src, dst: dst, contextID: contextID, time: time, ipLength: ipLength)
        }
    }

    /// Writes every remaining flow with close reason `.endOfInput` (open connections keep their
    /// current state, e.g. S1), oldest first.
    public func finish() {
        if fragments.pendingCount > 0 {
            fragments.finish()
            summary.fragments = fragments.counters
        }
        var live = table.liveSlots
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
        // Tunnels (tunnel.log): `Int64.max` until one is active, so plain captures pay one compare.
        if registryStorage.pointee.nextSweep <= now { sweepTunnels(now: now) }
    }

    private func makeRoom() {
        guard table.count >= configuration.maxFlows, let victim = table.oldest() else { return }
        summary.evictedFlows &+= 1
        emit(victim, reason: .evicted)
    }

    private func create(_ state: FlowState) -> Int32 {
        makeRoom()
        var state = state
        state.reuseIndex = uidGuard.distinctReuseIndex(key: state.key, startTime: state.startTime,
                                                       proposed: state.reuseIndex)
        let i = table.insert(state)
        noteL2Addresses(i, senderIsA: state.origIsA)
        if configuration.keepEvents {
            while events.count <= Int(i) { events.append([]) }
            events[Int(i)].removeAll(keepingCapacity: false)
        }
        summary.flows &+= 1
        summary.maxConcurrentFlows = max(summary.maxConcurrentFlows, UInt64(table.count))
        return i
    }

    /// The new flow in slot `i` takes the current packet's outermost Ethernet addresses: the
    /// source for the sending side, the destination for the other.
    private func noteL2Addresses(_ i: Int32, senderIsA: Bool) {
        let k = Int(i)
        guard let eth = currentPacket.pointee?.pointee.ethernet else {
            if k < l2PairOfSlot.count { l2PairOfSlot[k] = 0 }
            return
        }
        if k >= l2PairOfSlot.count {
            l2PairOfSlot.append(contentsOf: repeatElement(0, count: max(k + 1, 2 * l2PairOfSlot.count) - l2PairOfSlot.count))
        }
        let (a, b) = senderIsA ? (eth.source, eth.destination) : (eth.destination, eth.source)
        l2PairOfSlot[k] = l2Pairs.id(a.value, b.value)
    }

    @inline(__always)
    private func countPacket(_ s: UnsafeMutablePointer<FlowState>, fromA: Bool, ipLength: UInt64, time: Int64) {
        s.pointee.packets[fromA: fromA] &+= 1
        s.pointee.ipBytes[fromA: fromA] &+= ipLength
        s.pointee.lastSeen = time
    }

    private func isBroadcast(_ a: IPAddress) -> Bool { a.isIPv4 && a.ipv4 == 0xffff_ffff }

    // MARK: TCP

    private func processTCP(_ h: TCPHeader, src: IPAddress, dst: IPAddress, contextID: UInt32, time: Int64, ipLength: UInt64,
                            headerUsable: Bool) {
        let (key, fromA) = FlowKey.make(proto: 6, source: src, sourcePort: h.sourcePort,
                                        destination: dst, destinationPort: h.destinationPort, contextID: contextID)
        var idx = table.lookup(key)
        // `tcpIsReuse` is false without SYN; testing that first spares the call (which copies
        // the flow) on almost every packet.
        if let i = idx, headerUsable, h.flags.contains(.syn),
           table.tcp(table.slots[Int(i)].side).pointee.isReuse(h, fromA: fromA, origIsA: table.slots[Int(i)].origIsA) {
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
            i = create(FlowState(key: key, kind: .tcp, origIsA: fromA, time: time, reuseIndex: 0))
            if flip { flipRoles(table.slot(i), &table.tcp(table.slot(i).pointee.side).pointee.history) }
        }
        // Stable until the next insert (none below).
        let s = table.slot(i)
        let t = table.tcp(s.pointee.side)
        guard headerUsable else {
            // The connection exists (Zeek builds the tuple from the first 20 bytes), but the
            // segment is neither counted nor analyzed (`bad_TCP_header_len`, `truncated_header`).
            table.tcpExtras.get(&t.pointee.extras).pointee.anomalies[fromA: fromA].truncatedHeaders &+= 1
            s.pointee.lastSeen = time
            placeTCP(i, s, t, time: time)
            return
        }
        countPacket(s, fromA: fromA, ipLength: ipLength, time: time)
        if configuration.keepEvents && events[Int(i)].count < configuration.maxEventsPerFlow {
            events[Int(i)].append(PacketEvent(time: time, fromOriginator: fromA, flags: h.flags,
                                              sequenceNumber: h.sequenceNumber,
                                              acknowledgmentNumber: h.acknowledgmentNumber,
                                              payloadLength: h.payloadLength, window: h.window,
                                              checksumStatus: h.checksumStatus))
        }
        tcpChecksum: switch h.checksumStatus {
        case .bad:
            summary.badChecksumPackets &+= 1
            let e = table.tcpExtras.get(&t.pointee.extras)
            e.pointee.anomalies[fromA: fromA].badChecksums &+= 1
            if isScaledHistoryStep(UInt64(e.pointee.anomalies[fromA: fromA].badChecksums)) {
                t.pointee.history.add(UInt8(ascii: "C"), isOrig: fromA == s.pointee.origIsA)
            }
            if !(t.pointee.a.didClose && t.pointee.b.didClose) { s.pointee.lastTime = time }
            placeTCP(i, s, t, time: time)
            return
        case .partial:
            summary.partialChecksumPackets &+= 1
            table.tcpExtras.get(&t.pointee.extras).pointee.anomalies[fromA: fromA].partialChecksums &+= 1
        default:
            break tcpChecksum
        }
        let before = t.pointee.handshakeMilestones(origIsA: s.pointee.origIsA)
        t.pointee.process(h, flow: &s.pointee, fromA: fromA, time: time, extrasStore: table.tcpExtras)
        if t.pointee.handshakeMilestones(origIsA: s.pointee.origIsA) != before, let onEvent = onEventStorage.pointee {
            reportMilestones(s.pointee, t.pointee, before: before, time: time, to: onEvent)
        }
        placeTCP(i, s, t, time: time)
    }

    /// Files flow `i` (at `s`) in the timeout list its TCP state calls for. Reads only the few
    /// fields it needs through the pointer (no copy of the flow).
    @inline(__always)
    private func placeTCP(_ i: Int32, _ s: UnsafeMutablePointer<FlowState>, _ t: UnsafeMutablePointer<TCPConnection>,
                          time: Int64) {
        let origIsA = s.pointee.origIsA
        let orig = origIsA ? t.pointee.a.state : t.pointee.b.state
        let resp = origIsA ? t.pointee.b.state : t.pointee.a.state
        let attemptTime = t.pointee.attemptTime
        if t.pointee.closeTime >= 0 {
            place(i, in: .closing, time: time)
        } else if attemptTime >= 0 && (orig == .synSent || orig == .synAckSent) && resp == .inactive {
            place(i, in: .attempt, time: attemptTime)
        } else if orig == .inactive && resp == .inactive {
            place(i, in: .linger, time: time)
        } else if t.pointee.longTimeout {
            place(i, in: .tcpLong, time: time)
        } else {
            place(i, in: .short, time: time)
        }
    }

    // MARK: UDP, ICMP, other IP

    @discardableResult
    private func processUDP(_ u: UDPHeader, src: IPAddress, dst: IPAddress, contextID: UInt32, time: Int64,
                            ipLength: UInt64) -> Int32 {
        let (key, fromA) = FlowKey.make(proto: 17, source: src, sourcePort: u.sourcePort,
                                        destination: dst, destinationPort: u.destinationPort, contextID: contextID)
        let i: Int32
        if let existing = table.lookup(key) {
            i = existing
        } else {
            let ports = configuration.likelyServerPorts
            i = create(FlowState(key: key, kind: .udp, origIsA: fromA, time: time, reuseIndex: 0))
            if ports.contains(u.sourcePort) && !ports.contains(u.destinationPort) && !isBroadcast(dst) {
                flipRoles(table.slot(i), &table.datagram(table.slot(i).pointee.side).pointee.history)
            }
        }
        let s = table.slot(i)
        let d = table.datagram(s.pointee.side)
        countPacket(s, fromA: fromA, ipLength: ipLength, time: time)
        s.pointee.lastTime = time
        let isOrig = fromA == s.pointee.origIsA
        udpChecksum: switch u.checksumStatus {
        case .bad:
            summary.badChecksumPackets &+= 1
            d.pointee.recordChecksumError(fromA: fromA, isOrig: isOrig)
            place(i, in: .short, time: time)
            return i
        case .partial:
            summary.partialChecksumPackets &+= 1
            d.pointee.partialChecksums[fromA: fromA] &+= 1
        default:
            break udpChecksum
        }
        d.pointee.processUDP(u, fromA: fromA, isOrig: isOrig)
        place(i, in: .short, time: time)
        return i
    }

    private func processICMP(type: UInt8, code: UInt8, v6: Bool, length: Int, src: IPAddress, dst: IPAddress,
                             contextID: UInt32, time: Int64, ipLength: UInt64) {
        let (sp, dp) = ICMPPorts.ports(type: type, code: code, v6: v6)
        let (key, fromA) = FlowKey.make(proto: v6 ? 58 : 1, source: src, sourcePort: sp, destination: dst, destinationPort: dp,
                                        contextID: contextID)
        let i = table.lookup(key) ?? create(FlowState(key: key, kind: .icmp, origIsA: fromA, time: time, reuseIndex: 0))
        let s = table.slot(i)
        let d = table.datagram(s.pointee.side)
        countPacket(s, fromA: fromA, ipLength: ipLength, time: time)
        s.pointee.lastTime = time
        d.pointee.active[fromA: fromA] = true
        d.pointee.size[fromA: fromA] &+= UInt64(length - 8)
        place(i, in: .icmp, time: time)
    }

    /// An ICMP error (not one with a bad checksum) is attached to the TCP or UDP flow whose
    /// packet it quotes, in the same context (Zeek raises `icmp_unreachable` & co. with the
    /// quoted connection's id and leaves conn.log alone; Sockeye counts it on the flow). A
    /// destination unreachable quoting the originator's SYN (its sequence number, when quoted,
    /// the SYN's ISN) refuses the handshake if no SYN-ACK follows (`rejectedByICMP`, decided
    /// when the record is written).
    @inline(never)
    private func noteICMPError(_ icmp: ICMPHeader, from: IPAddress, contextID: UInt32, time: Int64,
                               bytes: UnsafeRawBufferPointer) {
        summary.icmpErrors &+= 1
        guard let quote = icmp.quotedDatagram(in: bytes), quote.ipProtocol == 6 || quote.ipProtocol == 17,
              let sp = quote.sourcePort, let dp = quote.destinationPort else { return }
        let (key, senderIsA) = FlowKey.make(proto: quote.ipProtocol, source: quote.source, sourcePort: sp,
                                            destination: quote.destination, destinationPort: dp, contextID: contextID)
        guard let i = table.lookup(key) else { return }
        summary.icmpErrorsMatched &+= 1
        let f = table.slot(i).pointee
        let aboutOriginator = senderIsA == f.origIsA
        var note = icmpErrorNotes[i] ?? ICMPErrorNote(report: ICMPErrorReport(
            count: 0, firstTime: time, type: icmp.type, code: icmp.code, isICMPv6: icmp.isICMPv6, from: from,
            aboutOriginator: aboutOriginator))
        note.report.count += 1
        let unreachable = icmp.isICMPv6 ? icmp.type == 1 : icmp.type == 3
        if unreachable && aboutOriginator && f.kind == .tcp {
            let t = table.tcp(f.side).pointee
            let o = f.origIsA ? t.hsA : t.hsB
            if o.synCount > 0 && (quote.tcpSequenceNumber ?? o.synISN) == o.synISN && !note.refusesHandshake {
                note.refusesHandshake = true
                let r = f.origIsA ? t.hsB : t.hsA
                if r.synAckCount == 0, let onEvent = onEventStorage.pointee {
                    let (orig, resp) = f.endpoints
                    var e = FlowEvent(kind: .rejectedByICMP, time: time,
                                      uid: FlowUID.make(key: f.key, startTime: f.startTime, reuseIndex: f.reuseIndex,
                                                        context: contexts.context(f.key.contextID)),
                                      originator: orig, responder: resp)
                    e.icmpType = icmp.type
                    e.icmpCode = icmp.code
                    e.icmpFrom = from
                    onEvent(e)
                }
            }
        }
        icmpErrorNotes[i] = note
    }

    private func processOther(proto: UInt8, src: IPAddress, dst: IPAddress, contextID: UInt32, time: Int64, ipLength: UInt64) {
        let (key, fromA) = FlowKey.make(proto: proto, source: src, sourcePort: 0, destination: dst, destinationPort: 0,
                                        contextID: contextID)
        let i = table.lookup(key) ?? create(FlowState(key: key, kind: .other, origIsA: fromA, time: time, reuseIndex: 0))
        countPacket(table.slot(i), fromA: fromA, ipLength: ipLength, time: time)
        table.slot(i).pointee.lastTime = time
        place(i, in: .other, time: time)
    }

    // MARK: Tunnels

    /// The UDP datagrams that deliver a tunnel (VXLAN, VXLAN-GPE, Geneve, GTP-U, Teredo, MPLS
    /// over UDP) around the packet's flat IP datagram are flows of their own, as in Zeek's
    /// conn.log; GRE and IP-in-IP have no transport flow (Zeek: tunnel.log only). Each is
    /// processed as a UDP packet (outer VLAN context; checksum `absent` for 0 over IPv4, else not
    /// re-verified), outermost first; a nested one names the one around it. Returns the
    /// innermost, the parent of the flat datagram's flow.
    private func processDeliveryFlows(_ packet: UnsafePointer<DecodedPacket>, bytes: UnsafeRawBufferPointer, time: Int64,
                                      contextID: UInt32) -> TunnelParent? {
        summary.tunnelledPackets &+= 1
        let flatOffset = packet.pointee.networkOffset ?? Int.max
        var parent: TunnelParent? = nil
        // A delivery datagram: a UDP layer followed by a tunnel layer, before the flat IP.
        var ip = -1, ipIsV4 = false, pendingUDP = -1
        let ipv4 = LayerKind.ipv4.rawValue, ipv6 = LayerKind.ipv6.rawValue, udp = LayerKind.udp.rawValue
        packet.pointee.layers.forEachRaw { kind, offset in
            // A tunnel layer may be empty and sit at the flat offset (Teredo without origin or
            // authentication indicators): the UDP before it is looked at first.
            if offset > flatOffset || (offset == flatOffset && pendingUDP < 0) { return false }
            if pendingUDP >= 0 {
                let type: TunnelType
                switch LayerKind(rawValue: kind) {
                case .vxlan?, .vxlanGPE?: type = .vxlan
                case .geneve?: type = .geneve
                case .gtpu?: type = .gtpu
                case .teredo?: type = .teredo
                case .mpls?: type = .mplsOverUDP
                default: type = .none
                }
                if type != .none,
                   let i = deliveryPacket(ip: ip, v4: ipIsV4, udp: pendingUDP, wireLength: packet.pointee.wireLength,
                                          bytes: bytes, time: time, contextID: contextID) {
                    if parent != nil { noteTunnel(i, parent: parent, nil, time: time) }
                    let f = table.slot(i)
                    parent = TunnelParent(ref: .flow(FlowReference(key: f.pointee.key, startTime: f.pointee.startTime,
                                                                   reuseIndex: f.pointee.reuseIndex)), type: type)
                }
                pendingUDP = -1
            }
            if kind == ipv4 || kind == ipv6 { ip = offset; ipIsV4 = kind == ipv4 } else if kind == udp && ip >= 0 { pendingUDP = offset }
            return true
        }
        return parent
    }

    /// One delivery UDP datagram (IP header at `o`, UDP header at `u`) as a UDP packet of its
    /// flow. Its IP length is the one the decoder used (`IPv4Header.effectiveLength` /
    /// `IPv6Header.effectivePayloadLength`): a length field of 0 (TSO capture, jumbogram) or one
    /// past the frame counts the frame's remaining bytes.
    private func deliveryPacket(ip o: Int, v4: Bool, udp u: Int, wireLength: Int, bytes: UnsafeRawBufferPointer, time: Int64,
                                contextID: UInt32) -> Int32? {
        guard var h = UDPHeader.parse(bytes, at: u), o + (v4 ? 20 : 40) <= bytes.count else { return nil }
        let src: IPAddress, dst: IPAddress, field: Int
        if v4 {
            src = IPAddress(ipv4: bytes.be32(o + 12))
            dst = IPAddress(ipv4: bytes.be32(o + 16))
            field = Int(bytes.be16(o + 2))
        } else {
            src = IPAddress(ipv6High: bytes.be64(o + 8), low: bytes.be64(o + 16))
            dst = IPAddress(ipv6High: bytes.be64(o + 24), low: bytes.be64(o + 32))
            let payload = Int(bytes.be16(o + 4))
            field = payload == 0 ? 0 : 40 + payload
        }
        let remaining = max(0, wireLength - o)
        let ipLength = UInt64(field == 0 || field > remaining ? remaining : field)
        h.payloadLength = max(0, Int(h.length) - 8)
        h.checksumStatus = h.checksum == 0 && v4 ? .absent : .unverified
        return processUDP(h, src: src, dst: dst, contextID: contextID, time: time, ipLength: ipLength)
    }

    /// Remembers, for the tunnelled flow in slot `i`, its tunnel (from its first packet; nil
    /// for a nested delivery flow) and its parent's uid. As Zeek's `Conn::set_conn`,
    /// `tunnel_parents` collects the innermost parent of every encapsulation the flow was seen
    /// in (the two directions of a VXLAN connection often travel in different delivery flows);
    /// a parent new to the flow is registered for tunnel.log (Zeek's `new_connection` /
    /// `tunnel_changed` → `Tunnel::register`).
    private func noteTunnel(_ i: Int32, parent: TunnelParent?, _ e: Encapsulation?, time: Int64) {
        guard i >= 0 else { return }
        let k = Int(i)
        if k >= tunnels.count {
            let n = max(k + 1, 2 * tunnels.count)
            tunnels.append(contentsOf: repeatElement(nil, count: n - tunnels.count))
            knownStorage.pointee.append(contentsOf: repeatElement(KnownParents(), count: n - knownStorage.pointee.count))
        }
        // Almost always a parent already named: compared as plain data, no uid made.
        let known: Bool? = knownStorage.pointee.withUnsafeBufferPointer { ks in
            guard ks[k].present else { return nil }
            guard let parent else { return true }
            let c = ks[k].count
            return (c > 0 && ks[k].r0 == parent.ref) || (c > 1 && ks[k].r1 == parent.ref)
                || (c > 2 && tunnels[k]!.moreRefs.contains(parent.ref))
        }
        if let known {
            guard !known, let parent, let uid = register(parent, time: time) else { return }
            addParent(k, parent.ref, uid: uid)
            return
        }
        let side = TunnelSide(info: e.map {
            TunnelInfo(type: $0.tunnel, depth: Int($0.depth), id: $0.tunnelID, outerSource: $0.outerSource,
                       outerDestination: $0.outerDestination, outerSourcePort: $0.outerSourcePort,
                       outerDestinationPort: $0.outerDestinationPort)
        })
        knownStorage.pointee[k] = KnownParents(present: true)
        tunnels[k] = side
        if let parent, let uid = register(parent, time: time) { addParent(k, parent.ref, uid: uid) }
    }

    private func addParent(_ k: Int, _ ref: TunnelParentRef, uid: String) {
        let c = knownStorage.pointee[k].count
        if c == 0 { knownStorage.pointee[k].r0 = ref } else if c == 1 { knownStorage.pointee[k].r1 = ref } else { tunnels[k]!.moreRefs.append(ref) }
        knownStorage.pointee[k].count = c &+ 1
        tunnels[k]!.parents.append(uid)
    }

    /// `Tunnel::register`: logs DISCOVER for a tunnel not active yet; returns its uid (nil for
    /// a delivery flow no longer in the table).
    private func register(_ parent: TunnelParent, time: Int64) -> String? {
        if let index = registry.active.index(forKey: parent.ref) {
            registry.active.values[index].lastRegistered = time
            return registry.active.values[index].uid
        }
        let entry: TunnelRegistry.Active
        if let f = parent.ref.flowReference {
            guard let i = table.lookup(f.key) else { return nil }
            let (orig, resp) = table.slots[Int(i)].endpoints
            entry = TunnelRegistry.Active(uid: uidOf(f), originator: orig, responder: resp, type: parent.type, lastRegistered: time)
        } else {
            guard let key = parent.ref.ipKey, let t = registry.ipTunnels[key] else { return nil }
            entry = TunnelRegistry.Active(uid: t.uid, originator: Endpoint(address: t.originator, port: 0),
                                          responder: Endpoint(address: t.responder, port: 0), type: key.type, lastRegistered: time)
        }
        registry.active[parent.ref] = entry
        if registry.nextSweep == .max { registry.nextSweep = time &+ TunnelRegistry.sweepInterval }
        onTunnelStorage.pointee?(TunnelEvent(action: .discover, time: time, uid: entry.uid, originator: entry.originator,
                                             responder: entry.responder, type: entry.type))
        return entry.uid
    }

    /// The IP tunnel between `source` and `destination` (either direction), created with a
    /// uid on first sight.
    private func ipTunnel(_ source: IPAddress, _ destination: IPAddress, type: TunnelType, time: Int64) -> TunnelParent {
        let key = IPTunnelKey(source, destination, type: type)
        if let index = registry.ipTunnels.index(forKey: key) {
            registry.ipTunnels.values[index].lastSeen = time
        } else {
            // The uid of a flow keyed on the pair (ports 0, the tunnel's IP protocol), marked in
            // the reuse index so no real flow on that pair can share it.
            let proto: UInt8 = type == .ipInIP ? (source.isIPv4 ? 4 : 41) : 47
            let (k, _) = FlowKey.make(proto: proto, source: key.a, sourcePort: 0, destination: key.b, destinationPort: 0)
            let uid = FlowUID.make(key: k, startTime: time, reuseIndex: 0x4000_0000 | UInt32(type.rawValue))
            registry.ipTunnels[key] = TunnelRegistry.IPTunnel(uid: uid, originator: source, responder: destination, lastSeen: time)
        }
        return TunnelParent(ref: .ip(key), type: type)
    }

    /// Zeek's `&read_expire` on `Tunnel::active` and the IP tunnel timeout, checked once a
    /// minute of packet time.
    private func sweepTunnels(now: Int64) {
        if !registry.active.isEmpty {
            let expired = registry.active.filter { now &- $0.value.lastRegistered >= TunnelRegistry.expiration }
            for (ref, t) in expired.sorted(by: { $0.value.lastRegistered < $1.value.lastRegistered }) {
                registry.active[ref] = nil
                onTunnelStorage.pointee?(TunnelEvent(action: .expire, time: now, uid: t.uid, originator: t.originator,
                                                     responder: t.responder, type: t.type))
            }
        }
        if !registry.ipTunnels.isEmpty {
            registry.ipTunnels = registry.ipTunnels.filter { now &- $0.value.lastSeen < TunnelRegistry.ipTunnelTimeout }
        }
        registry.nextSweep = registry.active.isEmpty && registry.ipTunnels.isEmpty ? .max : now &+ TunnelRegistry.sweepInterval
    }

    private func uidOf(_ f: FlowReference) -> String {
        FlowUID.make(key: f.key, startTime: f.startTime, reuseIndex: f.reuseIndex, context: contexts.context(f.key.contextID))
    }

    /// Places flow `i` on timeout list `l` and remembers it as the packet's flow.
    @inline(__always)
    private func place(_ i: Int32, in l: TimeoutList, time: Int64) {
        lastSlot.pointee = i
        table.place(i, in: l, time: time)
    }

    // MARK: Records

    private func emit(_ i: Int32, reason: CloseReason) {
        var kept: [PacketEvent] = []
        if configuration.keepEvents && Int(i) < events.count {
            kept = events[Int(i)]
            events[Int(i)] = []
        }
        let f = table.slot(i).pointee
        var record: ConnectionRecord
        let context = contexts.context(f.key.contextID)
        switch f.kind {
        case .tcp:
            let t = table.tcp(f.side)
            record = RecordBuilder.record(f, tcp: t.pointee, extras: table.tcpExtras.peek(t.pointee.extras)?.pointee,
                                          datagram: nil, reason: reason, events: kept, context: context)
        case .udp, .icmp:
            record = RecordBuilder.record(f, tcp: nil, extras: nil, datagram: table.datagram(f.side).pointee, reason: reason,
                                          events: kept, context: context)
        case .other:
            record = RecordBuilder.record(f, tcp: nil, extras: nil, datagram: nil, reason: reason, events: kept, context: context)
        }
        if f.key.contextID != 0 {
            record.vlan = context.vlan
            record.innerVLAN = context.innerVLAN
        }
        if !registry.active.isEmpty, f.kind == .udp {
            // A tunnel's delivery flow ends: Zeek's removal hook logs CLOSE.
            let ref = TunnelParentRef.flow(FlowReference(key: f.key, startTime: f.startTime, reuseIndex: f.reuseIndex))
            if let t = registry.active.removeValue(forKey: ref) {
                onTunnelStorage.pointee?(TunnelEvent(action: .close, time: summary.lastTime ?? f.lastTime, uid: t.uid,
                                                     originator: t.originator, responder: t.responder, type: t.type))
            }
        }
        if Int(i) < l2PairOfSlot.count, l2PairOfSlot[Int(i)] != 0 {
            let (a, b) = l2Pairs.pair(l2PairOfSlot[Int(i)])
            (record.originatorL2Address, record.responderL2Address) = f.origIsA ? (a, b) : (b, a)
            l2PairOfSlot[Int(i)] = 0
        }
        if !icmpErrorNotes.isEmpty, let note = icmpErrorNotes.removeValue(forKey: i) {
            record.icmpErrors = note.report
            if note.refusesHandshake, record.handshake?.state == .synOnly {
                record.handshake?.rejectedByICMP = true
                summary.handshakesRejectedByICMP &+= 1
            }
        }
        if Int(i) < tunnels.count, let tunnel = tunnels[Int(i)] {
            record.tunnel = tunnel.info
            record.tunnelParents = tunnel.parents
            tunnels[Int(i)] = nil
            knownStorage.pointee[Int(i)] = KnownParents()
        }
        table.remove(i)
        summary.connStates[record.connState, default: 0] &+= 1
        if let h = record.handshake { summary.handshakeStates[h.state, default: 0] &+= 1 }
        if let t = record.teardown { summary.teardownStyles[t.style, default: 0] &+= 1 }
        onRecord(record)
    }

    // MARK: Live events

    /// `Connection::FlipRoles` at creation: toggle the originator and mark the history.
    @inline(__always)
    private func flipRoles(_ s: UnsafeMutablePointer<FlowState>, _ history: inout FlowHistory) {
        s.pointee.origIsA.toggle()
        history.flip()
    }

    private func reportMilestones(_ f: FlowState, _ tcp: TCPConnection, before: TCPConnection.HandshakeMilestones,
                                  time: Int64, to onEvent: (FlowEvent) -> Void) {
        let after = tcp.handshakeMilestones(origIsA: f.origIsA)
        let (orig, resp) = f.endpoints
        let uid = FlowUID.make(key: f.key, startTime: f.startTime, reuseIndex: f.reuseIndex,
                               context: contexts.context(f.key.contextID))
        if after.opened && !before.opened {
            let o = f.origIsA ? tcp.hsA : tcp.hsB
            let r = f.origIsA ? tcp.hsB : tcp.hsA
            onEvent(FlowEvent(kind: .opened, time: time, uid: uid, originator: orig, responder: resp,
                              synToSynAck: o.synCount > 0 ? Double(r.synAckTime - o.synTime) / 1e9 : nil,
                              synAckToAck: Double(o.thirdAckTime - r.synAckTime) / 1e9))
        }
        if after.rejected && !before.rejected {
            onEvent(FlowEvent(kind: .rejected, time: time, uid: uid, originator: orig, responder: resp))
        }
    }
}

extension TCPConnection {
    struct HandshakeMilestones: Equatable {
        var opened: Bool
        var rejected: Bool
    }

    /// Whether the originator's handshake ACK (after a SYN-ACK) and a reject have been seen.
    @inline(__always)
    func handshakeMilestones(origIsA: Bool) -> HandshakeMilestones {
        let opened = origIsA ? hsA.thirdAckSeen && hsB.synAckCount > 0
                             : hsB.thirdAckSeen && hsA.synAckCount > 0
        return HandshakeMilestones(opened: opened, rejected: rejected)
    }
}

/// Keeps uids distinct. A uid hashes (5-tuple, start time, reuse index), so two flows collide
/// only when the same 5-tuple starts twice at the same nanosecond: several flows created at one
/// timestamp (eviction, port reuse), or time going backwards to an earlier flow's start.
///
/// - Flows created at the latest time seen are remembered exactly (per 5-tuple, the next free
///   index); the list is cleared when time advances, so it holds only that instant's creations
///   (at most 65,536; more flows at one instant get marked indexes, below).
/// - A flow whose start lies before the latest time seen (the capture's time went backwards)
///   cannot be checked against every earlier flow without unbounded memory; it gets an index
///   with bit 31 set and a running count of such flows instead, which no in-order flow uses.
///
/// Ordinary flows (in time order, distinct start per 5-tuple) keep their proposed index (0, or
/// the previous flow's + 1 on port reuse), so their uids do not depend on the rest of the capture.
struct UIDGuard {
    private var latest: Int64 = .min
    private var createdAtLatest: [FlowKey: UInt32] = [:]
    private var backwards: UInt32 = 0
    private static let backwardsBit: UInt32 = 0x8000_0000
    /// At most this many 5-tuples are remembered for one instant; beyond, flows get marked indexes.
    private static let instantLimit = 65_536

    private mutating func marked() -> UInt32 {
        backwards = (backwards &+ 1) & ~Self.backwardsBit
        return Self.backwardsBit | backwards
    }

    mutating func distinctReuseIndex(key: FlowKey, startTime: Int64, proposed: UInt32) -> UInt32 {
        if startTime < latest { return marked() }
        if startTime > latest {
            latest = startTime
            if !createdAtLatest.isEmpty {
                createdAtLatest.removeAll(keepingCapacity: createdAtLatest.count <= 1024)
            }
        }
        var index = min(proposed & ~Self.backwardsBit, ~Self.backwardsBit - 1)
        if let next = createdAtLatest[key] {
            index = max(index, next)
        } else if createdAtLatest.count >= Self.instantLimit {
            // A flood of flows at one timestamp: bound the memory, stay distinct.
            return marked()
        }
        createdAtLatest[key] = index &+ 1
        return index
    }
}

/// A flow named before its uid string is made (a uid is built only when a tunnelled flow
/// meets a new parent, not per packet).
struct FlowReference: Hashable {
    var key: FlowKey
    var startTime: Int64
    var reuseIndex: UInt32
}

/// What a flow created inside a tunnel keeps until its record is written.
struct TunnelSide {
    var info: TunnelInfo?
    /// Uids of the parents (delivery flows, IP tunnels), in the order met.
    var parents: [String] = []
    /// Parents past the two `KnownParents` holds inline.
    var moreRefs: [TunnelParentRef] = []
}

extension UnsafeRawBufferPointer {
    /// Big-endian loads; callers check the bounds.
    @inline(__always) fileprivate func be16(_ o: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: o, as: UInt16.self))
    }
    @inline(__always) fileprivate func be32(_ o: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: o, as: UInt32.self))
    }
    @inline(__always) fileprivate func be64(_ o: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: o, as: UInt64.self))
    }
}

/// What ICMP errors said about one flow so far.
struct ICMPErrorNote {
    var report: ICMPErrorReport
    /// A destination unreachable quoted the originator's SYN.
    var refusesHandshake = false
}

/// The distinct (side A, side B) link-layer address pairs flows were created with, numbered
/// from 1; the last one is remembered (consecutive new flows usually share it).
struct L2Pairs {
    private var ids: [L2Pair: UInt32] = [:]
    private var pairs: [L2Pair] = [L2Pair(a: 0, b: 0)]
    private var last = L2Pair(a: 0, b: 0)
    private var lastID: UInt32 = 0

    struct L2Pair: Hashable { var a: UInt64; var b: UInt64 }

    mutating func id(_ a: UInt64, _ b: UInt64) -> UInt32 {
        let p = L2Pair(a: a, b: b)
        if lastID != 0 && p == last { return lastID }
        let id: UInt32
        if let known = ids[p] {
            id = known
        } else {
            id = UInt32(truncatingIfNeeded: pairs.count)
            pairs.append(p)
            ids[p] = id
        }
        last = p
        lastID = id
        return id
    }

    func pair(_ id: UInt32) -> (MACAddress, MACAddress) {
        let p = pairs[Int(id)]
        return (MACAddress(p.a), MACAddress(p.b))
    }
}
