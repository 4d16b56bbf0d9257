import PacketCodec

/// One line of Zeek's tunnel.log (base/frameworks/tunnels/main.zeek, `Tunnel::Info`): a tunnel
/// "connection" was discovered, closed or expired.
///
/// - A UDP tunnel (VXLAN, Geneve, GTP-U, Teredo, MPLS over UDP) is its delivery flow: same uid
///   and 4-tuple as that flow's record.
/// - An IP tunnel (GRE, ERSPAN, IP-in-IP) has no flow; its uid is made from the outer address
///   pair and the time it was first seen, and its ports are 0 (Zeek: "For an IP tunnel, the
///   ports will be 0").
public struct TunnelEvent: Sendable, Equatable {
    /// Zeek's `Tunnel::Action`.
    public enum Action: String, Sendable, CaseIterable {
        /// First seen around a new connection (or one whose encapsulation changed).
        case discover = "DISCOVER"
        /// Its delivery flow ended (UDP tunnels only, as Zeek's removal hook).
        case close = "CLOSE"
        /// No new connection inside it for `TunnelRegistry.expiration` (Zeek's
        /// `Tunnel::expiration_interval`, 1 h).
        case expire = "EXPIRE"
    }

    public var action: Action
    /// Packet time of the event (ns since the epoch): the packet that made it, or for CLOSE and
    /// EXPIRE the latest packet time, as Zeek's `network_time()`.
    public var time: Int64
    public var uid: String
    /// The tunnel's 4-tuple: the delivery flow's originator and responder, or an IP tunnel's
    /// first packet's outer source and destination with ports 0.
    public var originator: Endpoint
    public var responder: Endpoint
    public var type: TunnelType

    public init(action: Action, time: Int64, uid: String, originator: Endpoint, responder: Endpoint, type: TunnelType) {
        self.action = action
        self.time = time
        self.uid = uid
        self.originator = originator
        self.responder = responder
        self.type = type
    }
}

/// An IP tunnel's identity: its unordered outer address pair and type (Zeek's IP tunnel table
/// keys the pair the same way in both directions).
struct IPTunnelKey: Hashable {
    var a: IPAddress
    var b: IPAddress
    var type: TunnelType

    init(_ x: IPAddress, _ y: IPAddress, type: TunnelType) {
        let xFirst = x.high != y.high ? x.high < y.high : x.low <= y.low
        (a, b) = xFirst ? (x, y) : (y, x)
        self.type = type
    }
}

/// What names a tunnelled flow's parent: a delivery flow, or an IP tunnel (its address pair in
/// the key's address words, its type in `meta`, and `startTime`/`reuseIndex` at values no flow
/// has). Plain data, compared word by word: it is checked on every tunnelled packet.
struct TunnelParentRef: Hashable {
    var key: FlowKey
    var startTime: Int64
    var reuseIndex: UInt32

    private static let ipMark: UInt32 = .max

    static func flow(_ f: FlowReference) -> TunnelParentRef {
        TunnelParentRef(key: f.key, startTime: f.startTime, reuseIndex: f.reuseIndex)
    }

    static func ip(_ k: IPTunnelKey) -> TunnelParentRef {
        TunnelParentRef(key: FlowKey(a0: k.a.high, a1: k.a.low, b0: k.b.high, b1: k.b.low,
                                     meta: UInt64(k.type.rawValue) | (k.a.isIPv4 ? 0x100 : 0)),
                        startTime: .min, reuseIndex: ipMark)
    }

    /// The delivery flow, or nil for an IP tunnel.
    var flowReference: FlowReference? {
        isIP ? nil : FlowReference(key: key, startTime: startTime, reuseIndex: reuseIndex)
    }

    /// The IP tunnel, or nil for a delivery flow.
    var ipKey: IPTunnelKey? {
        guard isIP else { return nil }
        let v4 = key.meta & 0x100 != 0
        func address(_ high: UInt64, _ low: UInt64) -> IPAddress {
            v4 ? IPAddress(ipv4: UInt32(truncatingIfNeeded: low)) : IPAddress(ipv6High: high, low: low)
        }
        return IPTunnelKey(address(key.a0, key.a1), address(key.b0, key.b1),
                           type: TunnelType(rawValue: UInt8(truncatingIfNeeded: key.meta)) ?? .none)
    }

    private var isIP: Bool { reuseIndex == Self.ipMark && startTime == .min }

    @inline(__always)
    static func == (l: TunnelParentRef, r: TunnelParentRef) -> Bool {
        l.key == r.key && l.startTime == r.startTime && l.reuseIndex == r.reuseIndex
    }
}

/// The parents a tunnelled flow has named, checked per packet without touching reference-counted
/// storage: two inline (one per direction is the common case), `more` when `TunnelSide` holds
/// further ones.
struct KnownParents {
    /// The slot's flow has a `TunnelSide`.
    var present = false
    var count: UInt8 = 0
    var r0 = TunnelParentRef(key: FlowKey(a0: 0, a1: 0, b0: 0, b1: 0, meta: 0), startTime: 0, reuseIndex: 0)
    var r1 = TunnelParentRef(key: FlowKey(a0: 0, a1: 0, b0: 0, b1: 0, meta: 0), startTime: 0, reuseIndex: 0)
}

/// A tunnelled flow's innermost tunnel for one packet: its reference and type.
struct TunnelParent {
    var ref: TunnelParentRef
    var type: TunnelType
}

/// Zeek's `Tunnel::active` table and its IP tunnel table, for tunnel.log. Only tunnelled
/// packets touch it.
struct TunnelRegistry {
    struct IPTunnel {
        var uid: String
        var originator: IPAddress
        var responder: IPAddress
        var lastSeen: Int64
    }

    struct Active {
        var uid: String
        var originator: Endpoint
        var responder: Endpoint
        var type: TunnelType
        var lastRegistered: Int64
    }

    /// `Tunnel::expiration_interval`: an active tunnel without a new connection for this long
    /// is logged EXPIRE and forgotten.
    static let expiration: Int64 = 3_600_000_000_000
    /// `Tunnel::ip_tunnel_timeout`: an IP tunnel idle this long gets a new uid when it returns.
    static let ipTunnelTimeout: Int64 = 86_400_000_000_000
    /// How often (packet time) the tables are swept: an EXPIRE is logged at the first packet at
    /// least this long after the hour has passed (Zeek's table expiry runs every 10 s).
    static let sweepInterval: Int64 = 60_000_000_000

    var ipTunnels: [IPTunnelKey: IPTunnel] = [:]
    var active: [TunnelParentRef: Active] = [:]
    /// Packet time of the next sweep; `Int64.max` while nothing is tracked.
    var nextSweep: Int64 = .max
}
