/// A small strict JSON parser that keeps object keys in document order (Foundation's
/// JSONSerialization does not), for checking the DESIGN.md key order.
indirect enum OrderedJSON: Equatable {
    case object([(String, OrderedJSON)])
    case array([OrderedJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    static func == (a: OrderedJSON, b: OrderedJSON) -> Bool {
        switch (a, b) {
        case let (.object(x), .object(y)): x.map(\.0) == y.map(\.0) && zip(x, y).allSatisfy { $0.1 == $1.1 }
        case let (.array(x), .array(y)): x == y
        case let (.string(x), .string(y)), let (.number(x), .number(y)): x == y
        case let (.bool(x), .bool(y)): x == y
        case (.null, .null): true
        default: false
        }
    }

    var keys: [String] { if case let .object(p) = self { p.map(\.0) } else { [] } }
    var object: OrderedJSON? { if case .object = self { self } else { nil } }
    var number: String? { if case let .number(n) = self { n } else { nil } }
    subscript(key: String) -> OrderedJSON? {
        if case let .object(p) = self { p.first { $0.0 == key }?.1 } else { nil }
    }

    struct SyntaxError: Error, CustomStringConvertible {
        var offset: Int
        var description: String { "JSON syntax error at byte \(offset)" }
    }

    static func parse(_ text: String) throws -> OrderedJSON {
        var p = Parser(bytes: Array(text.utf8))
        let v = try p.value()
        p.skipSpace()
        guard p.i == p.bytes.count else { throw SyntaxError(offset: p.i) }
        return v
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        mutating func skipSpace() { while i < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[i]) { i += 1 } }

        mutating func expect(_ s: String) throws {
            for b in s.utf8 { guard i < bytes.count, bytes[i] == b else { throw SyntaxError(offset: i) }; i += 1 }
        }

        mutating func value() throws -> OrderedJSON {
            skipSpace()
            guard i < bytes.count else { throw SyntaxError(offset: i) }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1; var pairs: [(String, OrderedJSON)] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
                while true {
                    skipSpace()
                    guard case let .string(k) = try value() else { throw SyntaxError(offset: i) }
                    skipSpace(); try expect(":")
                    pairs.append((k, try value()))
                    skipSpace()
                    guard i < bytes.count else { throw SyntaxError(offset: i) }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    try expect("}"); return .object(pairs)
                }
            case UInt8(ascii: "["):
                i += 1; var items: [OrderedJSON] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                while true {
                    items.append(try value())
                    skipSpace()
                    guard i < bytes.count else { throw SyntaxError(offset: i) }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    try expect("]"); return .array(items)
                }
            case UInt8(ascii: "\""):
                i += 1; var out: [UInt8] = []
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                    guard bytes[i] >= 0x20 else { throw SyntaxError(offset: i) }
                    if bytes[i] == UInt8(ascii: "\\") { out.append(bytes[i]); i += 1; guard i < bytes.count else { break } }
                    out.append(bytes[i]); i += 1
                }
                try expect("\"")
                return .string(String(decoding: out, as: UTF8.self))
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            default:
                let start = i
                while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
                guard i > start else { throw SyntaxError(offset: i) }
                return .number(String(decoding: bytes[start..<i], as: UTF8.self))
            }
        }
    }
}
