/// Zeek's connection `history` string, kept inline (no allocation) and turned into a `String`
/// only when the record is written.
///
/// Rules (scripts/base/protocols/conn/main.zeek, TCPSessionAdapter.cc `update_history`,
/// Conn.h `CheckHistory`, Session.cc `ScaledHistoryEntry`):
/// * upper case for the originator, lower case for the responder;
/// * A, D, I, Q at most once per direction (`HistoryMask`);
/// * S/H, F, R again only when the relevant relative sequence number changed (`TCPEndpoint`
///   keeps the last one per kind);
/// * C, G, T, W on the 1st, 10th, 100th … occurrence per direction (`isScaledHistoryStep`);
/// * `^` when the roles were flipped.
///
/// Capacity is `HistoryBuffer.capacity` letters; Zeek's string is unbounded, but beyond 48 letters
/// only repeated S/F/R (scans, storms) can still arrive, and those are dropped here.
public struct HistoryBuffer: Sendable, BitwiseCopyable, Equatable {
    public static let capacity = 48
    @usableFromInline var w: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
    public private(set) var count: UInt8 = 0

    public init() {}

    public init(_ text: String) {
        for b in text.utf8 { append(b) }
    }

    @inlinable public var isEmpty: Bool { count == 0 }

    public mutating func append(_ letter: UInt8) {
        guard Int(count) < Self.capacity else { return }
        let i = Int(count)
        withUnsafeMutableBytes(of: &w) { $0[i] = letter }
        count &+= 1
    }

    @inlinable
    public func letter(at i: Int) -> UInt8 {
        withUnsafeBytes(of: w) { $0[i] }
    }

    /// Replaces the whole history (Zeek's rewrite of "H" to "^h").
    public mutating func reset(_ text: StaticString) {
        w = (0, 0, 0, 0, 0, 0)
        count = 0
        text.withUTF8Buffer { for b in $0 { append(b) } }
    }

    /// True when the history is exactly `letter`.
    @inlinable
    public func isExactly(_ letter: UInt8) -> Bool { count == 1 && self.letter(at: 0) == letter }

    public static func == (l: HistoryBuffer, r: HistoryBuffer) -> Bool {
        l.count == r.count && (0..<Int(l.count)).allSatisfy { l.letter(at: $0) == r.letter(at: $0) }
    }

    public var string: String {
        withUnsafeBytes(of: w) { String(decoding: UnsafeRawBufferPointer(rebasing: $0[0..<Int(count)]), as: UTF8.self) }
    }
}

/// Zeek's once-per-direction history bits (`HIST_*` in src/session/Session.h); the responder's
/// bits are the originator's shifted left by 16, as `TCP_Endpoint::CheckHistory` does.
public enum HistoryMask {
    public static let syn: UInt32 = 0x1
    public static let fin: UInt32 = 0x2
    public static let rst: UInt32 = 0x4
    public static let finRst: UInt32 = 0x8
    public static let data: UInt32 = 0x10
    public static let ack: UInt32 = 0x20
    public static let multiFlag: UInt32 = 0x40

    /// Swaps the originator and responder halves (used when roles flip).
    @inlinable
    public static func flipped(_ seen: UInt32) -> UInt32 { seen << 16 | seen >> 16 }
}

extension UInt8 {
    /// ASCII lower case of a history letter.
    @inlinable var lowercasedLetter: UInt8 { self >= 65 && self <= 90 ? self + 32 : self }
}
