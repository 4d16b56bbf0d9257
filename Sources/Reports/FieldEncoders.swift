import FlowAnalysis
import PacketCodec

// One encoder per output format, each walking ``ConnSchema``. Escaping and unset rules live
// here and nowhere else. Values are written straight into the ``OutputBuffer``; the only
// per-record allocation is the Community ID string (``ConnFieldOptions/derived(for:)``).

/// JSON (RFC 8259): one object per record; unset values omit their key (as Zeek's JSON
/// writer does); ``ConnGroup``s become nested objects, written only when present.
enum ConnJSONEncoder {
    /// Writes `opening` (`{` or `{"event":"closed",`: an object already opened, nothing in it
    /// needing a comma yet), the record's fields, and `}` + LF.
    static func write(_ r: ConnectionRecord, options: ConnFieldOptions, to o: OutputBuffer, opening: StaticString = "{") {
        let d = options.derived(for: r)
        o.append(opening)
        var current = ConnGroup.root
        var needComma = false
        let keys = ConnSchema.jsonKeys
        ConnSchema.fields.withUnsafeBufferPointer { fields in
            var i = 0
            while i < fields.count {
                let group = fields[i].group
                if group != current {
                    guard isPresent(group, in: r) else { i = keys.groupEnds[i]; continue }
                    enter(group, from: &current, needComma: &needComma, o)
                }
                let v = fields[i].value(r, d)
                defer { i &+= 1 }
                if case .unset = v { continue }
                // `,"name":`, without the comma for a group's first key.
                let skip = needComma ? 0 : 1
                let start = keys.offsets[i] &+ skip
                o.append(bytes: UnsafeBufferPointer(start: keys.base + start, count: keys.offsets[i &+ 1] &- start))
                value(v, o)
                needComma = true
            }
        }
        while current != .root { o.append(byte: UInt8(ascii: "}")); current = current.parent! }
        o.append("}\n")
    }

    /// Whether `g` and all its ancestors are written for `r`.
    @inline(__always)
    private static func isPresent(_ g: ConnGroup, in r: ConnectionRecord) -> Bool {
        var g: ConnGroup? = g
        while let x = g { if !x.isPresent(in: r) { return false }; g = x.parent }
        return true
    }

    private static func isAncestorOrSelf(_ a: ConnGroup, of g: ConnGroup) -> Bool {
        var g: ConnGroup? = g
        while let x = g { if x == a { return true }; g = x.parent }
        return false
    }

    /// Closes groups up to the common ancestor of `current` and `target`, then opens down to
    /// `target`. A closed group leaves its parent needing a comma; an opened one starts empty.
    private static func enter(_ target: ConnGroup, from current: inout ConnGroup, needComma: inout Bool,
                              _ o: OutputBuffer) {
        while !isAncestorOrSelf(current, of: target) {
            o.append(byte: UInt8(ascii: "}"))
            current = current.parent!
            needComma = true
        }
        open(target, below: current, needComma: &needComma, o)
        current = target
    }

    private static func open(_ g: ConnGroup, below ancestor: ConnGroup, needComma: inout Bool, _ o: OutputBuffer) {
        guard g != ancestor, let parent = g.parent else { return }
        open(parent, below: ancestor, needComma: &needComma, o)
        if needComma { o.append(byte: UInt8(ascii: ",")) }
        o.append(byte: UInt8(ascii: "\""))
        o.append(g.key)
        o.append("\":{")
        needComma = false
    }

    @inline(__always)
    private static func value(_ v: ConnValue, _ o: OutputBuffer) {
        switch v {
        case .unset: break
        case .time(let ns): o.append(nanoseconds: ns, fractionDigits: 6)
        case .interval(let s): o.append(double: s, fractionDigits: 6)
        case .count(let n): o.append(int: n)
        case .bool(let b): o.append(b ? "true" : "false")
        case .string(let s): o.appendJSONString(s)
        case .addr(let a):
            o.append(byte: UInt8(ascii: "\"")); o.append(address: a); o.append(byte: UInt8(ascii: "\""))
        case .mac(let m):
            o.append(byte: UInt8(ascii: "\"")); o.append(mac: m); o.append(byte: UInt8(ascii: "\""))
        case .strings(let list):
            o.append(byte: UInt8(ascii: "["))
            for (i, s) in list.enumerated() {
                if i > 0 { o.append(byte: UInt8(ascii: ",")) }
                o.appendJSONString(s)
            }
            o.append(byte: UInt8(ascii: "]"))
        }
    }
}

/// Zeek ASCII (TSV): tab-separated, unset `-`, empty string `(empty)`, booleans `T`/`F`,
/// strings escaped as Zeek's Ascii formatter does.
enum ConnZeekEncoder {
    /// One row: `fields` (``ConnSchema/zeekFields(for:)`` of `options`), tab-separated.
    static func write(_ r: ConnectionRecord, fields: [ConnField], options: ConnFieldOptions, to o: OutputBuffer) {
        let d = options.derived(for: r)
        fields.withUnsafeBufferPointer { fields in
            for i in 0..<fields.count {
                if i > 0 { o.append(byte: UInt8(ascii: "\t")) }
                value(fields[i].value(r, d), o)
            }
        }
        o.append(byte: UInt8(ascii: "\n"))
    }

    @inline(__always)
    private static func value(_ v: ConnValue, _ o: OutputBuffer) {
        switch v {
        case .unset: o.append(byte: UInt8(ascii: "-"))
        case .time(let ns): o.append(nanoseconds: ns, fractionDigits: 6)
        case .interval(let s): o.append(double: s, fractionDigits: 6)
        case .count(let n): o.append(int: n)
        case .bool(let b): o.append(byte: b ? UInt8(ascii: "T") : UInt8(ascii: "F"))
        case .string(let s): string(s, o)
        case .addr(let a): o.append(address: a)
        case .mac(let m): o.append(mac: m)
        case .strings(let list):
            // Zeek's set separator is `,` (`#set_separator`); the elements are uids (base62).
            for (i, s) in list.enumerated() {
                if i > 0 { o.append(byte: UInt8(ascii: ",")) }
                string(s, o)
            }
        }
    }

    /// A Zeek `string`/`enum` value: `(empty)` when empty, reserved words escaped, control
    /// bytes, DEL and `\` as `\xNN`.
    static func string(_ s: String, _ o: OutputBuffer) {
        if s.isEmpty { o.append("(empty)"); return }
        var first = true
        let reserved = s == "-" || s == "(empty)"
        for b in s.utf8 {
            if b < 0x20 || b == 0x7f || (first && reserved) || b == UInt8(ascii: "\\") {
                o.append("\\x"); o.appendHexByte(b)
            } else {
                o.append(byte: b)
            }
            first = false
        }
    }
}

/// CSV (RFC 4180): comma-separated, unset empty, booleans `true`/`false`, strings quoted
/// when they hold `,`, `"`, CR or LF.
enum ConnCSVEncoder {
    /// One row: `fields` (``ConnSchema/csvColumns(for:)`` of `options`), comma-separated.
    static func write(_ r: ConnectionRecord, fields: [ConnField], options: ConnFieldOptions, to o: OutputBuffer) {
        let d = options.derived(for: r)
        fields.withUnsafeBufferPointer { fields in
            for i in 0..<fields.count {
                if i > 0 { o.append(byte: UInt8(ascii: ",")) }
                value(fields[i].value(r, d), o)
            }
        }
        o.append(byte: UInt8(ascii: "\n"))
    }

    @inline(__always)
    private static func value(_ v: ConnValue, _ o: OutputBuffer) {
        switch v {
        case .unset: break
        case .time(let ns): o.append(nanoseconds: ns, fractionDigits: 6)
        case .interval(let s): o.append(double: s, fractionDigits: 6)
        case .count(let n): o.append(int: n)
        case .bool(let b): o.append(b ? "true" : "false")
        case .string(let s): field(s, o)
        case .addr(let a): o.append(address: a)
        case .mac(let m): o.append(mac: m)
        case .strings(let list): field(list.joined(separator: ","), o)
        }
    }

    /// An RFC 4180 §2 field: quoted (with `""` for `"`) when it holds `,`, `"`, CR or LF.
    static func field(_ s: String, _ o: OutputBuffer) {
        let needsQuotes = s.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0a || $0 == 0x0d }
        guard needsQuotes else { o.append(s); return }
        o.append(byte: UInt8(ascii: "\""))
        for b in s.utf8 {
            if b == UInt8(ascii: "\"") { o.append(byte: b) }
            o.append(byte: b)
        }
        o.append(byte: UInt8(ascii: "\""))
    }
}
