import CLibcrypto
import FlowAnalysis
import PacketCodec

/// The Community ID flow hash, version 1 (corelight/community-id-spec, README "Pseudo code"):
///
/// ```
/// "1:" + base64(SHA-1(seed · addr_a · addr_b · proto · 0 · port_a · port_b))
/// ```
///
/// * `seed`: 2 bytes, network byte order (default 0).
/// * The endpoints are ordered so the numerically smaller (address, port) comes first, both in
///   network byte order: addresses decide, ports only when the addresses are equal. One-way ICMP
///   messages are not reordered.
/// * `proto`: 1 byte, followed by one zero byte of padding.
/// * Ports: 2 bytes each, network byte order; left out for protocols without ports. ICMP and
///   ICMPv6 use Zeek's mapping (spec "Technical details", pycommunityid `icmp.py`/`icmp6.py`):
///   source "port" = type; destination "port" = the counterpart type for request/reply pairs
///   (two-way, ordered like ports), otherwise the code (one-way, kept in packet direction).
/// * `base64`: RFC 4648 §4 with padding; `base64 == false` gives 40 lower-case hex digits instead
///   (the spec's troubleshooting form).
///
/// ```swift
/// let id = CommunityID()                                     // seed 0, base64
/// id.hash(proto: 6, source: a, sourcePort: 1122, destination: b, destinationPort: 3344)
/// // "1:wCb3OG7yAFWelaUydu0D+125CLM=" for 1.2.3.4:1122 → 5.6.7.8:3344
/// ```
///
/// Costs one SHA-1 of at most 40 bytes (OpenSSL's `SHA1`) and one small string; no Foundation.
/// Computed once per record when it is written, never per packet. Nothing here traps.
public struct CommunityID: Sendable, Equatable {
    /// The 16-bit seed (Zeek `CommunityID::seed`, Suricata `community-id-seed`).
    public var seed: UInt16
    /// Base64 of the digest (the spec's default); false: hex.
    public var base64: Bool

    public init(seed: UInt16 = 0, base64: Bool = true) {
        self.seed = seed
        self.base64 = base64
    }

    /// The hash of a flow tuple. `ports == nil` for protocols without ports (the spec's "other
    /// IP-borne protocols"). `oneWay`: keep the tuple as given (one-way ICMP).
    public func hash(proto: UInt8, source: IPAddress, destination: IPAddress,
                     ports: (source: UInt16, destination: UInt16)?, oneWay: Bool = false) -> String {
        var a = source, b = destination
        var ports = ports
        if !oneWay && !Self.isOrdered(a, ports?.source ?? 0, b, ports?.destination ?? 0) {
            swap(&a, &b)
            if let p = ports { ports = (p.destination, p.source) }
        }
        // seed(2) + 2 × address(≤16) + proto(1) + pad(1) + 2 × port(2) = 40 bytes at most.
        var input = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        var digest = (UInt64(0), UInt64(0), UInt32(0), UInt32(0), UInt32(0))
        return withUnsafeMutableBytes(of: &input) { buf in
            var n = 0
            func put(_ byte: UInt8) { buf[n] = byte; n += 1 }
            func put16(_ v: UInt16) { put(UInt8(v >> 8)); put(UInt8(v & 0xff)) }
            func put(_ address: IPAddress) {
                if address.isIPv4 {
                    let v = address.ipv4
                    put(UInt8(v >> 24)); put(UInt8(v >> 16 & 0xff)); put(UInt8(v >> 8 & 0xff)); put(UInt8(v & 0xff))
                } else {
                    for s in stride(from: 56, through: 0, by: -8) { put(UInt8(address.high >> UInt64(s) & 0xff)) }
                    for s in stride(from: 56, through: 0, by: -8) { put(UInt8(address.low >> UInt64(s) & 0xff)) }
                }
            }
            put16(seed)
            put(a)
            put(b)
            put(proto)
            put(0)
            if let ports { put16(ports.source); put16(ports.destination) }
            return withUnsafeMutableBytes(of: &digest) { d in
                _ = SHA1(buf.baseAddress!.assumingMemoryBound(to: UInt8.self), n, d.baseAddress!.assumingMemoryBound(to: UInt8.self))
                return Self.render(UnsafeRawBufferPointer(rebasing: d[0..<20]), base64: base64)
            }
        }
    }

    /// The hash of an ICMP (`v6 == false`, IP protocol 1) or ICMPv6 (protocol 58) message.
    public func icmp(type: UInt8, code: UInt8, v6: Bool, source: IPAddress, destination: IPAddress) -> String {
        if let counterpart = Self.counterpart(type: type, v6: v6) {
            return hash(proto: v6 ? 58 : 1, source: source, destination: destination,
                        ports: (UInt16(type), UInt16(counterpart)))
        }
        return hash(proto: v6 ? 58 : 1, source: source, destination: destination,
                    ports: (UInt16(type), UInt16(code)), oneWay: true)
    }

    /// The hash of a flow record, from its endpoints (originator → responder) and `ip_proto`.
    ///
    /// * TCP, UDP: the 5-tuple.
    /// * ICMP/ICMPv6: the record's ports are Zeek's (originator = type, responder = counterpart
    ///   type or code), so the type and, for one-way messages, the code are read back from them.
    ///   ICMPv6 146/147 (mobile prefix solicitation/advertisement, RFC 6275 §6.7–6.8) are
    ///   request/reply in Zeek's table but one-way in the spec's: the record keeps the counterpart,
    ///   not the code, so code 0 (the only code RFC 6275 defines) is assumed.
    /// * SCTP (132): nil. Sockeye does not decode SCTP ports, and the spec hashes SCTP with them;
    ///   a hash without would never match another monitor's (the spec allows an empty value).
    /// * Other IP protocols: addresses and protocol only.
    public func hash(_ r: ConnectionRecord) -> String? {
        let o = r.originator, p = r.responder
        switch r.proto {
        case .tcp, .udp:
            return hash(proto: r.ipProtocol, source: o.address, destination: p.address, ports: (o.port, p.port))
        case .icmp:
            let v6 = r.ipProtocol == 58
            let type = UInt8(truncatingIfNeeded: o.port)
            if Self.counterpart(type: type, v6: v6) != nil {
                return icmp(type: type, code: 0, v6: v6, source: o.address, destination: p.address)
            }
            let zeekHasCounterpart = v6 && (type == 146 || type == 147)
            let code = zeekHasCounterpart ? 0 : UInt8(truncatingIfNeeded: p.port)
            return icmp(type: type, code: code, v6: v6, source: o.address, destination: p.address)
        case .other(let proto):
            if proto == 132 { return nil }
            return hash(proto: proto, source: o.address, destination: p.address, ports: nil)
        }
    }

    /// The hash of a live `opened`/`rejected` event (always TCP).
    public func hash(_ e: FlowEvent) -> String {
        hash(proto: 6, source: e.originator.address, destination: e.responder.address,
             ports: (e.originator.port, e.responder.port))
    }

    /// The spec's request/reply pairs (pycommunityid `icmp.TYPE_MAPPER`, `icmp6.TYPE_MAPPER`):
    /// ICMP echo, router solicitation/advertisement, timestamp, information, address mask;
    /// ICMPv6 echo, MLD query/report, router and neighbor solicitation/advertisement, node
    /// information (139/140), home agent address discovery (144/145).
    static func counterpart(type: UInt8, v6: Bool) -> UInt8? {
        if v6 {
            switch type {
            case 128: 129
            case 129: 128
            case 130: 131
            case 131: 130
            case 133: 134
            case 134: 133
            case 135: 136
            case 136: 135
            case 139: 140
            case 140: 139
            case 144: 145
            case 145: 144
            default: nil
            }
        } else {
            switch type {
            case 8: 0
            case 0: 8
            case 9: 10
            case 10: 9
            case 13: 14
            case 14: 13
            case 15: 16
            case 16: 15
            case 17: 18
            case 18: 17
            default: nil
            }
        }
    }

    /// Whether (a, pa) → (b, pb) is already in the spec's order: a < b in network byte order, or
    /// equal addresses and pa ≤ pb.
    static func isOrdered(_ a: IPAddress, _ pa: UInt16, _ b: IPAddress, _ pb: UInt16) -> Bool {
        let ka = key(a), kb = key(b)
        if ka != kb { return ka < kb }
        return pa <= pb
    }

    /// Big-endian comparison key: IPv4 as its 32-bit value (the 4 bytes hashed), IPv6 as
    /// (high, low); IPv4 sorts before IPv6 (never mixed in one flow).
    private static func key(_ a: IPAddress) -> (UInt8, UInt64, UInt64) {
        a.isIPv4 ? (0, 0, UInt64(a.ipv4)) : (1, a.high, a.low)
    }

    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// "1:" + RFC 4648 §4 base64 (with `=` padding) or lower-case hex of `digest`.
    static func render(_ digest: UnsafeRawBufferPointer, base64: Bool) -> String {
        let count = base64 ? 2 + (digest.count + 2) / 3 * 4 : 2 + digest.count * 2
        return String(unsafeUninitializedCapacity: count) { out in
            out[0] = UInt8(ascii: "1"); out[1] = UInt8(ascii: ":")
            var n = 2
            if !base64 {
                for b in digest {
                    out[n] = hexDigits[Int(b >> 4)]; out[n + 1] = hexDigits[Int(b & 0xf)]; n += 2
                }
                return n
            }
            var i = 0
            while i < digest.count {
                let b0 = UInt32(digest[i])
                let b1 = i + 1 < digest.count ? UInt32(digest[i + 1]) : 0
                let b2 = i + 2 < digest.count ? UInt32(digest[i + 2]) : 0
                let v = b0 << 16 | b1 << 8 | b2
                out[n] = alphabet[Int(v >> 18 & 63)]
                out[n + 1] = alphabet[Int(v >> 12 & 63)]
                out[n + 2] = i + 1 < digest.count ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "=")
                out[n + 3] = i + 2 < digest.count ? alphabet[Int(v & 63)] : UInt8(ascii: "=")
                n += 4
                i += 3
            }
            return n
        }
    }
}
