/// TCP options (RFC 9293 §3.2 and the IANA "TCP Option Kind Numbers" registry).
///
/// Three views of the same bytes:
/// - `TCPOptionIterator` walks the options of a decoded packet lazily, yielding
///   `TCPOptionElement` (kind, length, offset): no allocation, used by output writers;
/// - `TCPOptionSummary` is what the decoder folds them into for the analyzer (MSS, window
///   scale, SACK-permitted, timestamps, TFO), stored inline in `TCPHeader`;
/// - `TCPOption` is the owned enum used to build packets and for round trips.
public enum TCPOptionKind {
    public static let endOfList: UInt8 = 0
    public static let noOperation: UInt8 = 1
    public static let maxSegmentSize: UInt8 = 2
    public static let windowScale: UInt8 = 3
    public static let sackPermitted: UInt8 = 4
    public static let sack: UInt8 = 5
    public static let timestamp: UInt8 = 8
    public static let md5Signature: UInt8 = 19      // RFC 2385
    public static let userTimeout: UInt8 = 28       // RFC 5482
    public static let authentication: UInt8 = 29    // RFC 5925 TCP-AO
    public static let multipath: UInt8 = 30         // RFC 8684 MPTCP
    public static let fastOpen: UInt8 = 34          // RFC 7413 TFO
    public static let experimental1: UInt8 = 253    // RFC 6994
    public static let experimental2: UInt8 = 254

    /// Whether `length` is legal for `kind` (known kinds have fixed or structured lengths).
    @inlinable
    public static func isValidLength(_ length: Int, for kind: UInt8) -> Bool {
        switch kind {
        case maxSegmentSize: length == 4
        case windowScale: length == 3
        case sackPermitted: length == 2
        case sack: length >= 10 && (length - 2) % 8 == 0
        case timestamp: length == 10
        case md5Signature: length == 18
        case userTimeout: length == 4
        case authentication: length >= 4
        case multipath: length >= 3
        case fastOpen: length == 2 || (length >= 6 && length <= 18 && length % 2 == 0)
        case experimental1, experimental2: length >= 4
        default: length >= 2
        }
    }

    /// Name as JSON uses it (tcpdump's names where they exist).
    public static func name(_ kind: UInt8) -> String {
        switch kind {
        case endOfList: "eol"
        case noOperation: "nop"
        case maxSegmentSize: "mss"
        case windowScale: "wscale"
        case sackPermitted: "sack_permitted"
        case sack: "sack"
        case timestamp: "timestamp"
        case md5Signature: "md5"
        case userTimeout: "user_timeout"
        case authentication: "tcp_ao"
        case multipath: "mptcp"
        case fastOpen: "tfo"
        case experimental1, experimental2: "experimental"
        default: "unknown"
        }
    }
}

/// One option located in a frame: `bytes[offset..<offset+length]` (EOL and NOP have length 1).
public struct TCPOptionElement: Hashable, Sendable, BitwiseCopyable {
    public var kind: UInt8
    public var length: Int
    public var offset: Int
    /// True when the length is wrong for the kind (the bytes are still kept).
    public var hasInvalidLength: Bool

    @inlinable
    public init(kind: UInt8, length: Int, offset: Int, hasInvalidLength: Bool) {
        self.kind = kind
        self.length = length
        self.offset = offset
        self.hasInvalidLength = hasInvalidLength
    }

    /// Offset of the data after the kind and length octets.
    @inlinable public var dataOffset: Int { offset + 2 }
    @inlinable public var dataLength: Int { max(0, length - 2) }
}

/// Walks the options of one TCP header. Stops after EOL or at the first structural defect
/// (length 0 or 1, running past the header), which it reports in `defect`. Never reads outside
/// the range it was given.
public struct TCPOptionIterator: IteratorProtocol, Sequence {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    @usableFromInline var position: Int
    @usableFromInline let end: Int
    /// The structural defect that stopped the walk, if any.
    public private(set) var defect: Defect?

    /// Options of a decoded TCP header in `bytes` (the frame it was decoded from).
    @inlinable
    public init(bytes: UnsafeRawBufferPointer, header: TCPHeader) {
        let r = header.optionsRange
        self.init(bytes: bytes, range: r.lowerBound..<Swift.min(r.upperBound, bytes.count))
    }

    @inlinable
    public init(bytes: UnsafeRawBufferPointer, range: Range<Int>) {
        self.bytes = bytes
        position = Swift.max(0, range.lowerBound)
        end = Swift.max(position, Swift.min(range.upperBound, bytes.count))
    }

    /// Bytes left after an EOL (the padding), from the position where the walk stopped.
    @inlinable public var remaining: Range<Int> { position..<end }

    @inlinable
    public mutating func next() -> TCPOptionElement? {
        guard !stopAfterEOL, position < end else { return nil }
        let kind = bytes.u8(position)
        if kind == TCPOptionKind.endOfList {
            let e = TCPOptionElement(kind: kind, length: 1, offset: position, hasInvalidLength: false)
            position += 1
            // Padding follows; the walk ends here. Callers may inspect `remaining`.
            stopAfterEOL = true
            return e
        }
        if kind == TCPOptionKind.noOperation {
            defer { position += 1 }
            return TCPOptionElement(kind: kind, length: 1, offset: position, hasInvalidLength: false)
        }
        guard position + 1 < end else { return fail(.tcpOptionBeyondHeader) }
        let length = Int(bytes.u8(position + 1))
        if length == 0 { return fail(.tcpOptionLengthZero) }
        if length == 1 { return fail(.tcpOptionLengthOne) }
        guard position + length <= end else { return fail(.tcpOptionBeyondHeader) }
        defer { position += length }
        return TCPOptionElement(kind: kind, length: length, offset: position,
                                hasInvalidLength: !TCPOptionKind.isValidLength(length, for: kind))
    }

    @usableFromInline var stopAfterEOL = false

    @usableFromInline
    mutating func fail(_ d: Defect) -> TCPOptionElement? {
        defect = d
        position = end
        return nil
    }
}

/// The options an analyzer needs, folded from one header's option list.
public struct TCPOptionSummary: Hashable, Sendable, BitwiseCopyable {
    public var mss: UInt16? = nil
    public var windowScale: UInt8? = nil
    public var sackPermitted = false
    public var timestampValue: UInt32? = nil
    public var timestampEcho: UInt32 = 0
    /// SACK blocks carried (0 when no SACK option).
    public var sackBlockCount: UInt8 = 0
    /// TFO option present; `fastOpenCookieLength` 0 means a cookie request.
    public var fastOpen = false
    public var fastOpenCookieLength: UInt8 = 0
    public var md5Signature = false
    public var authentication = false
    public var multipath = false
    /// Number of options (EOL and NOP included).
    public var count: UInt8 = 0

    public init() {}

    /// Folds one (valid-length) option in.
    @inlinable
    mutating func add(_ e: TCPOptionElement, _ b: UnsafeRawBufferPointer) {
        count &+= 1
        guard !e.hasInvalidLength else { return }
        switch e.kind {
        case TCPOptionKind.maxSegmentSize: mss = b.u16(e.offset + 2)
        case TCPOptionKind.windowScale: windowScale = b.u8(e.offset + 2)
        case TCPOptionKind.sackPermitted: sackPermitted = true
        case TCPOptionKind.sack: sackBlockCount = UInt8((e.length - 2) / 8)
        case TCPOptionKind.timestamp:
            timestampValue = b.u32(e.offset + 2)
            timestampEcho = b.u32(e.offset + 6)
        case TCPOptionKind.fastOpen:
            fastOpen = true
            fastOpenCookieLength = UInt8(e.length - 2)
        case TCPOptionKind.md5Signature: md5Signature = true
        case TCPOptionKind.authentication: authentication = true
        case TCPOptionKind.multipath: multipath = true
        default: break
        }
    }
}

/// A TCP option as an owned value, for building packets and round trips.
public enum TCPOption: Hashable, Sendable {
    case endOfList
    case noOperation
    case maxSegmentSize(UInt16)
    case windowScale(UInt8)
    case sackPermitted
    /// Up to four (left edge, right edge) pairs (RFC 2018 §3).
    case sack([SACKBlock])
    /// RFC 7323 §3.
    case timestamp(value: UInt32, echo: UInt32)
    /// RFC 2385: a 16-byte MD5 digest.
    case md5Signature([UInt8])
    /// RFC 5482: granularity bit (minutes when set) and a 15-bit timeout.
    case userTimeout(minutes: Bool, timeout: UInt16)
    /// RFC 5925: key ids and MAC.
    case authentication(keyID: UInt8, nextKeyID: UInt8, mac: [UInt8])
    /// RFC 8684: subtype in the high nibble of the first data byte; the data is kept raw.
    case multipath([UInt8])
    /// RFC 7413: empty cookie = cookie request.
    case fastOpen(cookie: [UInt8])
    /// RFC 6994 kinds 253/254, data (ExID included) raw.
    case experimental(kind: UInt8, data: [UInt8])
    /// Any other kind, or a known kind with an invalid length, kept byte for byte.
    case unknown(kind: UInt8, data: [UInt8])

    public struct SACKBlock: Hashable, Sendable {
        public var left: UInt32
        public var right: UInt32
        public init(left: UInt32, right: UInt32) { self.left = left; self.right = right }
    }

    /// Builds the owned option from an element found by `TCPOptionIterator`.
    public init(_ e: TCPOptionElement, in b: UnsafeRawBufferPointer) {
        let data = Array(UnsafeRawBufferPointer(rebasing: b[min(e.dataOffset, e.offset + e.length)..<(e.offset + e.length)]))
        if e.hasInvalidLength { self = .unknown(kind: e.kind, data: data); return }
        switch e.kind {
        case TCPOptionKind.endOfList: self = .endOfList
        case TCPOptionKind.noOperation: self = .noOperation
        case TCPOptionKind.maxSegmentSize: self = .maxSegmentSize(b.u16(e.dataOffset))
        case TCPOptionKind.windowScale: self = .windowScale(b.u8(e.dataOffset))
        case TCPOptionKind.sackPermitted: self = .sackPermitted
        case TCPOptionKind.sack:
            self = .sack((0..<(e.dataLength / 8)).map {
                SACKBlock(left: b.u32(e.dataOffset + 8 * $0), right: b.u32(e.dataOffset + 8 * $0 + 4))
            })
        case TCPOptionKind.timestamp: self = .timestamp(value: b.u32(e.dataOffset), echo: b.u32(e.dataOffset + 4))
        case TCPOptionKind.md5Signature: self = .md5Signature(data)
        case TCPOptionKind.userTimeout:
            let v = b.u16(e.dataOffset)
            self = .userTimeout(minutes: v & 0x8000 != 0, timeout: v & 0x7fff)
        case TCPOptionKind.authentication:
            self = .authentication(keyID: data[0], nextKeyID: data[1], mac: Array(data.dropFirst(2)))
        case TCPOptionKind.multipath: self = .multipath(data)
        case TCPOptionKind.fastOpen: self = .fastOpen(cookie: data)
        case TCPOptionKind.experimental1, TCPOptionKind.experimental2: self = .experimental(kind: e.kind, data: data)
        default: self = .unknown(kind: e.kind, data: data)
        }
    }

    public var kind: UInt8 {
        switch self {
        case .endOfList: TCPOptionKind.endOfList
        case .noOperation: TCPOptionKind.noOperation
        case .maxSegmentSize: TCPOptionKind.maxSegmentSize
        case .windowScale: TCPOptionKind.windowScale
        case .sackPermitted: TCPOptionKind.sackPermitted
        case .sack: TCPOptionKind.sack
        case .timestamp: TCPOptionKind.timestamp
        case .md5Signature: TCPOptionKind.md5Signature
        case .userTimeout: TCPOptionKind.userTimeout
        case .authentication: TCPOptionKind.authentication
        case .multipath: TCPOptionKind.multipath
        case .fastOpen: TCPOptionKind.fastOpen
        case .experimental(let k, _), .unknown(let k, _): k
        }
    }

    /// Appends kind, length and data (RFC 9293 §3.2 format).
    public func emit(into bytes: inout [UInt8]) {
        func tlv(_ data: [UInt8]) {
            bytes.append(kind)
            bytes.append(UInt8(truncatingIfNeeded: data.count + 2))
            bytes.append(contentsOf: data)
        }
        var d: [UInt8] = []
        switch self {
        case .endOfList: bytes.append(0); return
        case .noOperation: bytes.append(1); return
        case .maxSegmentSize(let v): d.appendBigEndian(v)
        case .windowScale(let s): d.append(s)
        case .sackPermitted: break
        case .sack(let blocks):
            for blk in blocks { d.appendBigEndian(blk.left); d.appendBigEndian(blk.right) }
        case .timestamp(let v, let e): d.appendBigEndian(v); d.appendBigEndian(e)
        case .md5Signature(let digest): d = digest
        case .userTimeout(let m, let t): d.appendBigEndian((m ? 0x8000 : 0) | (t & 0x7fff))
        case .authentication(let k, let n, let mac): d = [k, n] + mac
        case .multipath(let data), .fastOpen(let data), .experimental(_, let data), .unknown(_, let data): d = data
        }
        tlv(d)
    }
}
