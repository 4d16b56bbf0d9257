import FlowAnalysis
import PacketCodec

// The conn record's fields, declared once. Every flow output (JSON Lines, Zeek TSV, CSV, the
// live `closed` event) walks this table, so names, order, types and unset rules cannot drift
// apart between formats. Zeek's own writers work the same way: one `threading::Field` list per
// log stream, rendered by per-format formatters (src/threading/formatters/Ascii.cc, JSON.cc).

/// A Zeek log type (Zeek `#types` header names).
public enum ZeekType: Sendable, Equatable {
    case time, string, addr, port, `enum`, interval, count, bool, setOfString

    /// The name Zeek writes in the `#types` header.
    public var name: String {
        switch self {
        case .time: "time"
        case .string: "string"
        case .addr: "addr"
        case .port: "port"
        case .enum: "enum"
        case .interval: "interval"
        case .count: "count"
        case .bool: "bool"
        case .setOfString: "set[string]"
        }
    }
}

/// One field's value for one record, as the encoders need it. Holds no allocation of its own
/// (strings are the record's own strings or literals).
public enum ConnValue {
    /// Not set: Zeek `-`, JSON key omitted, CSV empty field.
    case unset
    /// Nanoseconds since the epoch (`time`).
    case time(Int64)
    /// Seconds (`interval`).
    case interval(Double)
    /// A non-negative integer (`count`, `port`).
    case count(UInt64)
    case bool(Bool)
    /// A `string` or `enum` value; escaped by each encoder.
    case string(String)
    case addr(IPAddress)
    /// A link-layer address, written as a `string` (lower-case, colon-separated) without
    /// making a `String`.
    case mac(MACAddress)
    /// A Zeek `set[string]` (never empty: an empty set is `unset`, as Zeek leaves an
    /// `&optional` set field unset).
    case strings([String])
}

/// A JSON object that holds some of the fields (Sockeye's `handshake`, `teardown` and
/// `anomalies` extensions). `root` is the record object itself.
public enum ConnGroup: UInt8, Sendable, CaseIterable {
    case root, tunnel, handshake, originatorOptions, responderOptions, teardown, icmpErrors, anomalies,
         originatorAnomalies, responderAnomalies

    /// The enclosing group (nil for `root`).
    public var parent: ConnGroup? {
        switch self {
        case .root: nil
        case .tunnel, .handshake, .teardown, .icmpErrors, .anomalies: .root
        case .originatorOptions, .responderOptions: .handshake
        case .originatorAnomalies, .responderAnomalies: .anomalies
        }
    }

    /// The group's JSON key in its parent (empty for `root`).
    public var key: StaticString {
        switch self {
        case .root: ""
        case .tunnel: "tunnel"
        case .handshake: "handshake"
        case .originatorOptions: "orig_options"
        case .responderOptions: "resp_options"
        case .teardown: "teardown"
        case .icmpErrors: "icmp_errors"
        case .anomalies: "anomalies"
        case .originatorAnomalies: "orig"
        case .responderAnomalies: "resp"
        }
    }

    /// Whether the group's object is written for `r` (tunnel: tunnelled flows only; handshake
    /// and teardown: TCP only; options: only when offered; icmp_errors: flows an ICMP error
    /// quoted; anomalies: always).
    @inline(__always)
    func isPresent(in r: ConnectionRecord) -> Bool {
        switch self {
        case .root, .anomalies, .originatorAnomalies, .responderAnomalies: true
        case .tunnel: r.tunnel != nil
        case .handshake: r.handshake != nil
        case .originatorOptions: r.handshake?.originatorOptions != nil
        case .responderOptions: r.handshake?.responderOptions != nil
        case .teardown: r.teardown != nil
        case .icmpErrors: r.icmpErrors != nil
        }
    }

    /// Dotted path from the root, e.g. `handshake.orig_options` (empty for `root`).
    public var path: String {
        guard let parent else { return "" }
        let mine = key.description
        return parent == .root ? mine : parent.path + "." + mine
    }
}

/// What decides the optional record fields: the Community ID and the local networks. Chosen
/// once per run (`analyze`/`live` options) and handed to every writer.
public struct ConnFieldOptions: Sendable, Equatable {
    /// Community ID settings; nil: no `community_id` (not in JSON, no Zeek TSV or CSV column).
    public var communityID: CommunityID?
    /// Zeek's `Site::local_nets`; nil: `local_orig`/`local_resp` unset (Zeek's rule when
    /// `Site::local_nets` is empty), and no CSV columns for them.
    public var localNetworks: LocalNetworks?

    public init(communityID: CommunityID? = CommunityID(), localNetworks: LocalNetworks? = nil) {
        self.communityID = communityID
        self.localNetworks = localNetworks
    }

    /// Community ID on (seed 0, base64), no local networks: what `analyze` and `live` do
    /// without options.
    public static let `default` = ConnFieldOptions()

    /// The values these options add to `r`, computed once per record (one SHA-1 at most).
    public func derived(for r: ConnectionRecord) -> ConnDerived {
        var d = ConnDerived()
        if let communityID { d.communityID = communityID.hash(r) }
        if let localNetworks {
            d.localOrig = localNetworks.contains(r.originator.address)
            d.localResp = localNetworks.contains(r.responder.address)
        }
        return d
    }

    /// Whether a field with `presence` is written as a CSV column / Zeek TSV column.
    func includes(_ presence: ConnField.Presence) -> Bool {
        switch presence {
        case .always: true
        case .never: false
        case .withLocalNetworks: localNetworks != nil
        case .withCommunityID: communityID != nil
        }
    }
}

/// Per-record values that come from ``ConnFieldOptions`` rather than from the record itself.
public struct ConnDerived: Sendable {
    public var communityID: String?
    public var localOrig: Bool?
    public var localResp: Bool?
    public init() {}
}

/// One field of the conn record.
public struct ConnField: Sendable {
    /// When a field can have a value.
    public enum Presence: Sendable, Equatable {
        /// Filled from the record (may still be unset for some records).
        case always
        /// Sockeye never fills it (`service`): Zeek writes `-`, JSON omits the
        /// key, CSV leaves the column out.
        case never
        /// `local_orig`/`local_resp`: set when local networks are configured; otherwise as `never`.
        case withLocalNetworks
        /// `community_id`: written (key, Zeek column, CSV column) only when the Community ID is on.
        case withCommunityID
    }

    /// The Zeek column name / JSON key (within ``group``).
    public let name: StaticString
    public let type: ZeekType
    public let group: ConnGroup
    /// A Zeek conn.log column (written by the Zeek TSV writer, and by JSON/CSV too).
    public let isZeekColumn: Bool
    public let presence: Presence
    /// The value for a record and its ``ConnDerived`` values. A thin function (no context, so
    /// calling it from the table costs no retain/release; closure literals in the table must not
    /// capture anything — the compiler rejects ones that do). Never traps.
    public let value: @convention(thin) (ConnectionRecord, ConnDerived) -> ConnValue

    /// Sockeye never fills it (``Presence/never``).
    public var isAlwaysUnset: Bool { presence == .never }

    /// Whether the field can have a value with `options` (JSON writes its key when the value is
    /// set; CSV writes a column).
    public func isWritten(with options: ConnFieldOptions) -> Bool { options.includes(presence) }

    /// `group.path + "." + name`, e.g. `handshake.orig_options.mss`.
    public var path: String {
        group == .root ? name.description : group.path + "." + name.description
    }
}

@inline(__always) private func count<T: BinaryInteger>(_ v: T?) -> ConnValue {
    if let v { .count(UInt64(truncatingIfNeeded: v)) } else { .unset }
}
@inline(__always) private func time(_ v: Int64?) -> ConnValue { if let v { .time(v) } else { .unset } }
@inline(__always) private func interval(_ v: Double?) -> ConnValue { if let v { .interval(v) } else { .unset } }
@inline(__always) private func bool(_ v: Bool?) -> ConnValue { if let v { .bool(v) } else { .unset } }
@inline(__always) private func string(_ v: String?) -> ConnValue { if let v { .string(v) } else { .unset } }

/// The field table and its per-format projections.
public enum ConnSchema {
    private static func conn(_ name: StaticString, _ type: ZeekType, presence: ConnField.Presence = .always,
                             _ value: @convention(thin) (ConnectionRecord, ConnDerived) -> ConnValue) -> ConnField {
        ConnField(name: name, type: type, group: .root, isZeekColumn: true, presence: presence, value: value)
    }

    private static func ext(_ group: ConnGroup, _ name: StaticString, _ type: ZeekType,
                            _ value: @convention(thin) (ConnectionRecord, ConnDerived) -> ConnValue) -> ConnField {
        ConnField(name: name, type: type, group: group, isZeekColumn: false, presence: .always, value: value)
    }

    /// Every field, in JSON order. The Zeek columns come first: Zeek's 22 default `Conn::Info`
    /// fields in Zeek ≥ 7.1 order (scripts/base/protocols/conn/main.zeek, `ts` … `ip_proto`),
    /// then the policy-script fields (`community_id`: policy/protocols/conn/community-id-logging,
    /// a `string`). A group's fields are contiguous (the JSON encoder opens each group once).
    ///
    /// Unset rules: `duration`/`orig_bytes`/`resp_bytes` for zero-length flows, `history`
    /// when empty, handshake timestamps and ISNs not seen, `mss`/`wscale` not offered,
    /// `first_fin`/`rst_by` when there was none, `local_orig`/`local_resp` without local
    /// networks, `community_id` when off (and for SCTP, whose ports Sockeye does not decode).
    public static let fields: [ConnField] = [
        conn("ts", .time) { r, _ in .time(r.startTime) },
        conn("uid", .string) { r, _ in .string(r.uid) },
        conn("id.orig_h", .addr) { r, _ in .addr(r.originator.address) },
        conn("id.orig_p", .port) { r, _ in .count(UInt64(r.originator.port)) },
        conn("id.resp_h", .addr) { r, _ in .addr(r.responder.address) },
        conn("id.resp_p", .port) { r, _ in .count(UInt64(r.responder.port)) },
        conn("proto", .enum) { r, _ in .string(r.proto.description) },
        conn("service", .string, presence: .never) { _, _ in .unset },
        conn("duration", .interval) { r, _ in interval(r.duration) },
        conn("orig_bytes", .count) { r, _ in count(r.originatorBytes) },
        conn("resp_bytes", .count) { r, _ in count(r.responderBytes) },
        conn("conn_state", .string) { r, _ in .string(r.connState.rawValue) },
        conn("local_orig", .bool, presence: .withLocalNetworks) { _, d in bool(d.localOrig) },
        conn("local_resp", .bool, presence: .withLocalNetworks) { _, d in bool(d.localResp) },
        conn("missed_bytes", .count) { r, _ in .count(r.missedBytes) },
        conn("history", .string) { r, _ in r.history.isEmpty ? .unset : .string(r.history) },
        conn("orig_pkts", .count) { r, _ in .count(r.originatorPackets) },
        conn("orig_ip_bytes", .count) { r, _ in .count(r.originatorIPBytes) },
        conn("resp_pkts", .count) { r, _ in .count(r.responderPackets) },
        conn("resp_ip_bytes", .count) { r, _ in .count(r.responderIPBytes) },
        conn("tunnel_parents", .setOfString) { r, _ in r.tunnelParents.isEmpty ? .unset : .strings(r.tunnelParents) },
        conn("ip_proto", .count) { r, _ in .count(UInt64(r.ipProtocol)) },
        conn("community_id", .string, presence: .withCommunityID) { _, d in string(d.communityID) },
        // Zeek's policy/protocols/conn/vlan-logging fields (not Zeek TSV columns here: Zeek
        // writes them only with that script loaded).
        ext(.root, "vlan", .count) { r, _ in count(r.vlan) },
        ext(.root, "inner_vlan", .count) { r, _ in count(r.innerVLAN) },
        // policy/protocols/conn/mac-logging (a `string`, lower-case colon-separated).
        ext(.root, "orig_l2_addr", .string) { r, _ in r.originatorL2Address.map { .mac($0) } ?? .unset },
        ext(.root, "resp_l2_addr", .string) { r, _ in r.responderL2Address.map { .mac($0) } ?? .unset },

        ext(.tunnel, "type", .enum) { r, _ in string(r.tunnel?.type.description) },
        ext(.tunnel, "depth", .count) { r, _ in count(r.tunnel?.depth) },
        ext(.tunnel, "id", .count) { r, _ in count(r.tunnel?.id) },
        ext(.tunnel, "outer_src_h", .addr) { r, _ in if let a = r.tunnel?.outerSource { .addr(a) } else { .unset } },
        ext(.tunnel, "outer_src_p", .port) { r, _ in count(r.tunnel?.outerSourcePort) },
        ext(.tunnel, "outer_dst_h", .addr) { r, _ in if let a = r.tunnel?.outerDestination { .addr(a) } else { .unset } },
        ext(.tunnel, "outer_dst_p", .port) { r, _ in count(r.tunnel?.outerDestinationPort) },

        ext(.handshake, "state", .enum) { r, _ in string(r.handshake?.state.rawValue) },
        ext(.handshake, "syn_ts", .time) { r, _ in time(r.handshake?.synTime) },
        ext(.handshake, "synack_ts", .time) { r, _ in time(r.handshake?.synAckTime) },
        ext(.handshake, "ack_ts", .time) { r, _ in time(r.handshake?.ackTime) },
        ext(.handshake, "syn_to_synack", .interval) { r, _ in interval(r.handshake?.synToSynAck) },
        ext(.handshake, "synack_to_ack", .interval) { r, _ in interval(r.handshake?.synAckToAck) },
        ext(.handshake, "orig_isn", .count) { r, _ in count(r.handshake?.originatorISN) },
        ext(.handshake, "resp_isn", .count) { r, _ in count(r.handshake?.responderISN) },
        ext(.handshake, "valid", .bool) { r, _ in bool(r.handshake?.valid) },
        ext(.handshake, "syn_retransmissions", .count) { r, _ in count(r.handshake?.synRetransmissions) },
        ext(.handshake, "synack_retransmissions", .count) { r, _ in count(r.handshake?.synAckRetransmissions) },
        ext(.handshake, "simultaneous_open", .bool) { r, _ in bool(r.handshake?.simultaneousOpen) },
        ext(.handshake, "syn_payload_bytes", .count) { r, _ in count(r.handshake?.synPayloadBytes) },
        // Only when an ICMP error quoted the connection (false: it came, but did not refuse it).
        ext(.handshake, "rejected_by_icmp", .bool) { r, _ in r.icmpErrors == nil ? .unset : bool(r.handshake?.rejectedByICMP) },
        ext(.originatorOptions, "mss", .count) { r, _ in count(r.handshake?.originatorOptions?.mss) },
        ext(.originatorOptions, "wscale", .count) { r, _ in count(r.handshake?.originatorOptions?.windowScale) },
        ext(.originatorOptions, "sack_permitted", .bool) { r, _ in bool(r.handshake?.originatorOptions?.sackPermitted) },
        ext(.originatorOptions, "timestamps", .bool) { r, _ in bool(r.handshake?.originatorOptions?.timestamps) },
        ext(.originatorOptions, "tfo", .bool) { r, _ in bool(r.handshake?.originatorOptions?.fastOpen) },
        ext(.responderOptions, "mss", .count) { r, _ in count(r.handshake?.responderOptions?.mss) },
        ext(.responderOptions, "wscale", .count) { r, _ in count(r.handshake?.responderOptions?.windowScale) },
        ext(.responderOptions, "sack_permitted", .bool) { r, _ in bool(r.handshake?.responderOptions?.sackPermitted) },
        ext(.responderOptions, "timestamps", .bool) { r, _ in bool(r.handshake?.responderOptions?.timestamps) },
        ext(.responderOptions, "tfo", .bool) { r, _ in bool(r.handshake?.responderOptions?.fastOpen) },

        ext(.teardown, "kind", .enum) { r, _ in string(r.teardown?.kind.rawValue) },
        ext(.teardown, "style", .enum) { r, _ in string(r.teardown?.style.rawValue) },
        ext(.teardown, "first_fin", .enum) { r, _ in string(r.teardown?.firstFIN?.rawValue) },
        ext(.teardown, "orig_fin", .bool) { r, _ in bool(r.teardown?.originatorFIN) },
        ext(.teardown, "orig_fin_acked", .bool) { r, _ in bool(r.teardown?.originatorFINAcked) },
        ext(.teardown, "resp_fin", .bool) { r, _ in bool(r.teardown?.responderFIN) },
        ext(.teardown, "resp_fin_acked", .bool) { r, _ in bool(r.teardown?.responderFINAcked) },
        ext(.teardown, "rst_by", .enum) { r, _ in string(r.teardown?.rstBy?.rawValue) },
        ext(.teardown, "rst_after_fin", .bool) { r, _ in bool(r.teardown?.rstAfterFIN) },
        ext(.teardown, "data_after_first_fin", .count) { r, _ in count(r.teardown?.dataAfterFirstFIN) },

        ext(.icmpErrors, "count", .count) { r, _ in count(r.icmpErrors?.count) },
        ext(.icmpErrors, "first_ts", .time) { r, _ in time(r.icmpErrors?.firstTime) },
        ext(.icmpErrors, "type", .count) { r, _ in count(r.icmpErrors?.type) },
        ext(.icmpErrors, "code", .count) { r, _ in count(r.icmpErrors?.code) },
        ext(.icmpErrors, "icmpv6", .bool) { r, _ in bool(r.icmpErrors?.isICMPv6) },
        ext(.icmpErrors, "from_h", .addr) { r, _ in if let a = r.icmpErrors?.from { .addr(a) } else { .unset } },
        ext(.icmpErrors, "about", .enum) { r, _ in string(r.icmpErrors.map { $0.aboutOriginator ? "orig" : "resp" }) },

        ext(.originatorAnomalies, "retransmissions", .count) { r, _ in .count(r.originatorAnomalies.retransmissions) },
        ext(.originatorAnomalies, "out_of_order", .count) { r, _ in .count(r.originatorAnomalies.outOfOrder) },
        ext(.originatorAnomalies, "zero_window", .count) { r, _ in .count(r.originatorAnomalies.zeroWindow) },
        ext(.originatorAnomalies, "bad_checksums", .count) { r, _ in .count(r.originatorAnomalies.badChecksums) },
        ext(.originatorAnomalies, "partial_checksums", .count) { r, _ in .count(r.originatorAnomalies.partialChecksums) },
        ext(.originatorAnomalies, "data_after_fin", .count) { r, _ in .count(r.originatorAnomalies.dataAfterFIN) },
        ext(.originatorAnomalies, "acked_unseen", .count) { r, _ in .count(r.originatorAnomalies.ackedUnseen) },
        ext(.responderAnomalies, "retransmissions", .count) { r, _ in .count(r.responderAnomalies.retransmissions) },
        ext(.responderAnomalies, "out_of_order", .count) { r, _ in .count(r.responderAnomalies.outOfOrder) },
        ext(.responderAnomalies, "zero_window", .count) { r, _ in .count(r.responderAnomalies.zeroWindow) },
        ext(.responderAnomalies, "bad_checksums", .count) { r, _ in .count(r.responderAnomalies.badChecksums) },
        ext(.responderAnomalies, "partial_checksums", .count) { r, _ in .count(r.responderAnomalies.partialChecksums) },
        ext(.responderAnomalies, "data_after_fin", .count) { r, _ in .count(r.responderAnomalies.dataAfterFIN) },
        ext(.responderAnomalies, "acked_unseen", .count) { r, _ in .count(r.responderAnomalies.ackedUnseen) },

        ext(.root, "close_reason", .enum) { r, _ in .string(r.closeReason.rawValue) },
    ]

    /// The Zeek TSV columns with the default options (``ConnFieldOptions/default``).
    public static let zeekFields: [ConnField] = zeekFields(for: .default)

    /// The Zeek TSV columns: the conn.log fields, in table order. Zeek's default fields are
    /// always there (`local_orig`/`local_resp` as `-` without local networks, as Zeek writes
    /// them); `community_id` only when it is on (as only with Zeek's policy script loaded).
    public static func zeekFields(for options: ConnFieldOptions) -> [ConnField] {
        fields.filter { $0.isZeekColumn && ($0.presence != .withCommunityID || options.communityID != nil) }
    }

    /// CSV columns after the conn.log ones: (column name, schema path). Flat names for some
    /// nested fields, orig/resp anomaly counts side by side.
    public static let csvExtensions: [(column: String, path: String)] = [
        ("handshake_state", "handshake.state"), ("syn_to_synack", "handshake.syn_to_synack"),
        ("synack_to_ack", "handshake.synack_to_ack"), ("orig_isn", "handshake.orig_isn"),
        ("resp_isn", "handshake.resp_isn"), ("handshake_valid", "handshake.valid"),
        ("syn_retransmissions", "handshake.syn_retransmissions"),
        ("orig_mss", "handshake.orig_options.mss"), ("resp_mss", "handshake.resp_options.mss"),
        ("teardown_kind", "teardown.kind"), ("teardown_style", "teardown.style"),
        ("first_fin", "teardown.first_fin"), ("orig_fin_acked", "teardown.orig_fin_acked"),
        ("resp_fin_acked", "teardown.resp_fin_acked"), ("rst_by", "teardown.rst_by"),
        ("orig_retransmissions", "anomalies.orig.retransmissions"),
        ("resp_retransmissions", "anomalies.resp.retransmissions"),
        ("orig_zero_window", "anomalies.orig.zero_window"), ("resp_zero_window", "anomalies.resp.zero_window"),
        ("orig_bad_checksums", "anomalies.orig.bad_checksums"),
        ("resp_bad_checksums", "anomalies.resp.bad_checksums"),
        ("close_reason", "close_reason"),
        ("vlan", "vlan"), ("inner_vlan", "inner_vlan"), ("tunnel_type", "tunnel.type"), ("tunnel_id", "tunnel.id"),
        ("icmp_errors", "icmp_errors.count"), ("rejected_by_icmp", "handshake.rejected_by_icmp"),
        ("orig_l2_addr", "orig_l2_addr"), ("resp_l2_addr", "resp_l2_addr"),
    ]

    /// The CSV columns with the default options (``ConnFieldOptions/default``).
    public static let csvColumns: [(name: String, field: ConnField)] = csvColumns(for: .default)

    /// The CSV columns: (header name, field). The conn.log fields that can have a value with
    /// `options` (`local_orig`/`local_resp` only with local networks, `community_id` only when
    /// on), then ``csvExtensions``. Traps if an extension names a path not in ``fields`` (a
    /// programming error, caught by the tests).
    public static func csvColumns(for options: ConnFieldOptions) -> [(name: String, field: ConnField)] {
        var out: [(name: String, field: ConnField)] = []
        for f in fields where f.isZeekColumn && f.isWritten(with: options) { out.append((f.name.description, f)) }
        for (column, path) in csvExtensions {
            guard let f = fields.first(where: { $0.path == path }) else {
                preconditionFailure("CSV column \(column): no schema field \(path)")
            }
            out.append((column, f))
        }
        return out
    }

    /// `,"name":` for every field in ``fields``, back to back, built once and never freed, so
    /// the JSON encoder writes a key with one copy. Field `i`'s bytes are
    /// `base[offsets[i] ..< offsets[i + 1]]`.
    struct JSONKeys: @unchecked Sendable {
        let base: UnsafeMutablePointer<UInt8>
        let offsets: UnsafeMutablePointer<Int>
        /// For field `i`, the index after the last field of its contiguous group run: an absent
        /// group's fields are skipped in one step.
        let groupEnds: UnsafeMutablePointer<Int>
    }

    static let jsonKeys: JSONKeys = {
        var bytes: [UInt8] = []
        var offsets: [Int] = [0]
        for f in fields {
            bytes += Array(",\"".utf8)
            f.name.withUTF8Buffer { bytes += $0 }
            bytes += Array("\":".utf8)
            offsets.append(bytes.count)
        }
        let base = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count)
        base.initialize(from: bytes, count: bytes.count)
        let offs = UnsafeMutablePointer<Int>.allocate(capacity: offsets.count)
        offs.initialize(from: offsets, count: offsets.count)
        var ends = [Int](repeating: fields.count, count: fields.count)
        var i = fields.count - 1
        while i >= 0 {
            if i + 1 < fields.count && fields[i + 1].group == fields[i].group { ends[i] = ends[i + 1] } else { ends[i] = i + 1 }
            i -= 1
        }
        let groupEnds = UnsafeMutablePointer<Int>.allocate(capacity: ends.count)
        groupEnds.initialize(from: ends, count: ends.count)
        return JSONKeys(base: base, offsets: offs, groupEnds: groupEnds)
    }()

    /// Looks a field up by its dotted path (tests, tools).
    public static func field(path: String) -> ConnField? { fields.first { $0.path == path } }
}
