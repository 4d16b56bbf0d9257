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
}

/// A JSON object that holds some of the fields (Sockeye's `handshake`, `teardown` and
/// `anomalies` extensions). `root` is the record object itself.
public enum ConnGroup: UInt8, Sendable, CaseIterable {
    case root, handshake, originatorOptions, responderOptions, teardown, anomalies, originatorAnomalies,
         responderAnomalies

    /// The enclosing group (nil for `root`).
    public var parent: ConnGroup? {
        switch self {
        case .root: nil
        case .handshake, .teardown, .anomalies: .root
        case .originatorOptions, .responderOptions: .handshake
        case .originatorAnomalies, .responderAnomalies: .anomalies
        }
    }

    /// The group's JSON key in its parent (empty for `root`).
    public var key: StaticString {
        switch self {
        case .root: ""
        case .handshake: "handshake"
        case .originatorOptions: "orig_options"
        case .responderOptions: "resp_options"
        case .teardown: "teardown"
        case .anomalies: "anomalies"
        case .originatorAnomalies: "orig"
        case .responderAnomalies: "resp"
        }
    }

    /// Whether the group's object is written for `r` (handshake and teardown: TCP only;
    /// options: only when offered; anomalies: always).
    @inline(__always)
    func isPresent(in r: ConnectionRecord) -> Bool {
        switch self {
        case .root, .anomalies, .originatorAnomalies, .responderAnomalies: true
        case .handshake: r.handshake != nil
        case .originatorOptions: r.handshake?.originatorOptions != nil
        case .responderOptions: r.handshake?.responderOptions != nil
        case .teardown: r.teardown != nil
        }
    }

    /// Dotted path from the root, e.g. `handshake.orig_options` (empty for `root`).
    public var path: String {
        guard let parent else { return "" }
        let mine = key.description
        return parent == .root ? mine : parent.path + "." + mine
    }
}

/// One field of the conn record.
public struct ConnField: Sendable {
    /// The Zeek column name / JSON key (within ``group``).
    public let name: StaticString
    public let type: ZeekType
    public let group: ConnGroup
    /// A Zeek conn.log column (written by the Zeek TSV writer, and by JSON/CSV too).
    public let isZeekColumn: Bool
    /// Sockeye never fills it (`service`, `local_orig`, …): Zeek writes `-`, JSON omits the key,
    /// CSV leaves the column out.
    public let isAlwaysUnset: Bool
    /// The value for a record. A thin function (no context, so calling it from the table costs
    /// no retain/release; closure literals in the table must not capture anything — the
    /// compiler rejects ones that do). Never traps.
    public let value: @convention(thin) (ConnectionRecord) -> ConnValue

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
    private static func conn(_ name: StaticString, _ type: ZeekType, alwaysUnset: Bool = false,
                             _ value: @convention(thin) (ConnectionRecord) -> ConnValue) -> ConnField {
        ConnField(name: name, type: type, group: .root, isZeekColumn: true, isAlwaysUnset: alwaysUnset, value: value)
    }

    private static func ext(_ group: ConnGroup, _ name: StaticString, _ type: ZeekType,
                            _ value: @convention(thin) (ConnectionRecord) -> ConnValue) -> ConnField {
        ConnField(name: name, type: type, group: group, isZeekColumn: false, isAlwaysUnset: false, value: value)
    }

    /// Every field, in JSON order. The Zeek columns come first, in Zeek ≥ 7.1 `Conn::Info`
    /// order; a group's fields are contiguous (the JSON encoder opens each group once).
    ///
    /// Unset rules: `duration`/`orig_bytes`/`resp_bytes` for zero-length flows, `history`
    /// when empty, handshake timestamps and ISNs not seen, `mss`/`wscale` not offered,
    /// `first_fin`/`rst_by` when there was none.
    public static let fields: [ConnField] = [
        conn("ts", .time) { .time($0.startTime) },
        conn("uid", .string) { .string($0.uid) },
        conn("id.orig_h", .addr) { .addr($0.originator.address) },
        conn("id.orig_p", .port) { .count(UInt64($0.originator.port)) },
        conn("id.resp_h", .addr) { .addr($0.responder.address) },
        conn("id.resp_p", .port) { .count(UInt64($0.responder.port)) },
        conn("proto", .enum) { .string($0.proto.description) },
        conn("service", .string, alwaysUnset: true) { _ in .unset },
        conn("duration", .interval) { interval($0.duration) },
        conn("orig_bytes", .count) { count($0.originatorBytes) },
        conn("resp_bytes", .count) { count($0.responderBytes) },
        conn("conn_state", .string) { .string($0.connState.rawValue) },
        conn("local_orig", .bool, alwaysUnset: true) { _ in .unset },
        conn("local_resp", .bool, alwaysUnset: true) { _ in .unset },
        conn("missed_bytes", .count) { .count($0.missedBytes) },
        conn("history", .string) { $0.history.isEmpty ? .unset : .string($0.history) },
        conn("orig_pkts", .count) { .count($0.originatorPackets) },
        conn("orig_ip_bytes", .count) { .count($0.originatorIPBytes) },
        conn("resp_pkts", .count) { .count($0.responderPackets) },
        conn("resp_ip_bytes", .count) { .count($0.responderIPBytes) },
        conn("tunnel_parents", .setOfString, alwaysUnset: true) { _ in .unset },
        conn("ip_proto", .count) { .count(UInt64($0.ipProtocol)) },

        ext(.handshake, "state", .enum) { string($0.handshake?.state.rawValue) },
        ext(.handshake, "syn_ts", .time) { time($0.handshake?.synTime) },
        ext(.handshake, "synack_ts", .time) { time($0.handshake?.synAckTime) },
        ext(.handshake, "ack_ts", .time) { time($0.handshake?.ackTime) },
        ext(.handshake, "syn_to_synack", .interval) { interval($0.handshake?.synToSynAck) },
        ext(.handshake, "synack_to_ack", .interval) { interval($0.handshake?.synAckToAck) },
        ext(.handshake, "orig_isn", .count) { count($0.handshake?.originatorISN) },
        ext(.handshake, "resp_isn", .count) { count($0.handshake?.responderISN) },
        ext(.handshake, "valid", .bool) { bool($0.handshake?.valid) },
        ext(.handshake, "syn_retransmissions", .count) { count($0.handshake?.synRetransmissions) },
        ext(.handshake, "synack_retransmissions", .count) { count($0.handshake?.synAckRetransmissions) },
        ext(.handshake, "simultaneous_open", .bool) { bool($0.handshake?.simultaneousOpen) },
        ext(.handshake, "syn_payload_bytes", .count) { count($0.handshake?.synPayloadBytes) },
        ext(.originatorOptions, "mss", .count) { count($0.handshake?.originatorOptions?.mss) },
        ext(.originatorOptions, "wscale", .count) { count($0.handshake?.originatorOptions?.windowScale) },
        ext(.originatorOptions, "sack_permitted", .bool) { bool($0.handshake?.originatorOptions?.sackPermitted) },
        ext(.originatorOptions, "timestamps", .bool) { bool($0.handshake?.originatorOptions?.timestamps) },
        ext(.originatorOptions, "tfo", .bool) { bool($0.handshake?.originatorOptions?.fastOpen) },
        ext(.responderOptions, "mss", .count) { count($0.handshake?.responderOptions?.mss) },
        ext(.responderOptions, "wscale", .count) { count($0.handshake?.responderOptions?.windowScale) },
        ext(.responderOptions, "sack_permitted", .bool) { bool($0.handshake?.responderOptions?.sackPermitted) },
        ext(.responderOptions, "timestamps", .bool) { bool($0.handshake?.responderOptions?.timestamps) },
        ext(.responderOptions, "tfo", .bool) { bool($0.handshake?.responderOptions?.fastOpen) },

        ext(.teardown, "kind", .enum) { string($0.teardown?.kind.rawValue) },
        ext(.teardown, "style", .enum) { string($0.teardown?.style.rawValue) },
        ext(.teardown, "first_fin", .enum) { string($0.teardown?.firstFIN?.rawValue) },
        ext(.teardown, "orig_fin", .bool) { bool($0.teardown?.originatorFIN) },
        ext(.teardown, "orig_fin_acked", .bool) { bool($0.teardown?.originatorFINAcked) },
        ext(.teardown, "resp_fin", .bool) { bool($0.teardown?.responderFIN) },
        ext(.teardown, "resp_fin_acked", .bool) { bool($0.teardown?.responderFINAcked) },
        ext(.teardown, "rst_by", .enum) { string($0.teardown?.rstBy?.rawValue) },
        ext(.teardown, "rst_after_fin", .bool) { bool($0.teardown?.rstAfterFIN) },
        ext(.teardown, "data_after_first_fin", .count) { count($0.teardown?.dataAfterFirstFIN) },

        ext(.originatorAnomalies, "retransmissions", .count) { .count($0.originatorAnomalies.retransmissions) },
        ext(.originatorAnomalies, "out_of_order", .count) { .count($0.originatorAnomalies.outOfOrder) },
        ext(.originatorAnomalies, "zero_window", .count) { .count($0.originatorAnomalies.zeroWindow) },
        ext(.originatorAnomalies, "bad_checksums", .count) { .count($0.originatorAnomalies.badChecksums) },
        ext(.originatorAnomalies, "partial_checksums", .count) { .count($0.originatorAnomalies.partialChecksums) },
        ext(.originatorAnomalies, "data_after_fin", .count) { .count($0.originatorAnomalies.dataAfterFIN) },
        ext(.originatorAnomalies, "acked_unseen", .count) { .count($0.originatorAnomalies.ackedUnseen) },
        ext(.responderAnomalies, "retransmissions", .count) { .count($0.responderAnomalies.retransmissions) },
        ext(.responderAnomalies, "out_of_order", .count) { .count($0.responderAnomalies.outOfOrder) },
        ext(.responderAnomalies, "zero_window", .count) { .count($0.responderAnomalies.zeroWindow) },
        ext(.responderAnomalies, "bad_checksums", .count) { .count($0.responderAnomalies.badChecksums) },
        ext(.responderAnomalies, "partial_checksums", .count) { .count($0.responderAnomalies.partialChecksums) },
        ext(.responderAnomalies, "data_after_fin", .count) { .count($0.responderAnomalies.dataAfterFIN) },
        ext(.responderAnomalies, "acked_unseen", .count) { .count($0.responderAnomalies.ackedUnseen) },

        ext(.root, "close_reason", .enum) { .string($0.closeReason.rawValue) },
    ]

    /// The Zeek TSV columns: the conn.log fields, in table order.
    public static let zeekFields: [ConnField] = fields.filter { $0.isZeekColumn }

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
    ]

    /// The CSV fields, in column order (see ``csvColumns``).
    public static let csvFields: [ConnField] = csvColumns.map(\.field)

    /// The CSV columns: (header name, field). The conn.log fields Sockeye fills, then
    /// ``csvExtensions``. Traps at first use if an extension names a path not in ``fields``
    /// (a programming error, caught by the tests).
    public static let csvColumns: [(name: String, field: ConnField)] = {
        var out: [(name: String, field: ConnField)] = []
        for f in zeekFields where !f.isAlwaysUnset { out.append((f.name.description, f)) }
        for (column, path) in csvExtensions {
            guard let f = fields.first(where: { $0.path == path }) else {
                preconditionFailure("CSV column \(column): no schema field \(path)")
            }
            out.append((column, f))
        }
        return out
    }()

    /// `,"name":` for every field in ``fields``, back to back, built once and never freed, so
    /// the JSON encoder writes a key with one copy. Field `i`'s bytes are
    /// `base[offsets[i] ..< offsets[i + 1]]`.
    struct JSONKeys: @unchecked Sendable {
        let base: UnsafeMutablePointer<UInt8>
        let offsets: UnsafeMutablePointer<Int>
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
        return JSONKeys(base: base, offsets: offs)
    }()

    /// Looks a field up by its dotted path (tests, tools).
    public static func field(path: String) -> ConnField? { fields.first { $0.path == path } }
}
