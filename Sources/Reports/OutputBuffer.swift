import PacketCodec

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A byte buffer for report output: appends without per-call allocation and writes to a file
/// descriptor in large chunks (`write(2)`), so formatting millions of lines costs no `print`.
///
/// Strings that may carry bytes from the network go through `appendJSONString` or
/// `appendTerminalSafe`, which escape control characters, so nothing from a packet reaches a
/// terminal raw.
public final class OutputBuffer {
    public private(set) var bytes: [UInt8] = []
    public let fileDescriptor: Int32?
    /// Flush threshold.
    public var chunkSize: Int
    /// Set when a write failed (e.g. EPIPE); further output is dropped.
    public private(set) var writeFailed = false
    /// The `errno` of the failed write (e.g. `EPIPE` when the reader went away); 0 otherwise.
    public private(set) var writeErrno: Int32 = 0

    /// A buffer that writes to `fileDescriptor` (nil: collect only, read `bytes`).
    public init(fileDescriptor: Int32? = 1, chunkSize: Int = 1 << 16) {
        self.fileDescriptor = fileDescriptor
        self.chunkSize = chunkSize
        bytes.reserveCapacity(chunkSize + 4096)
    }

    deinit { flushBytes() }

    /// The collected text (for tests and collect-only buffers).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Disfavoured so string literals pick the `StaticString` overload (no String, no ARC).
    @_disfavoredOverload
    public func append(_ s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
        flushIfNeeded()
    }

    public func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
        flushIfNeeded()
    }

    public func append(byte: UInt8) {
        bytes.append(byte)
        flushIfNeeded()
    }

    /// `HH:MM:SS.ffffff` in UTC from nanoseconds since the epoch (tcpdump prints local time; UTC
    /// keeps output reproducible). Never traps, even at `Int64.min`.
    public func append(timeOfDay ns: Int64) {
        // Floor division without overflow (`ns - 999_999_999` traps near Int64.min).
        var seconds = ns / 1_000_000_000
        var nanos = ns % 1_000_000_000
        if nanos < 0 { seconds -= 1; nanos += 1_000_000_000 }
        let day = Int(((seconds % 86_400) + 86_400) % 86_400)
        func two(_ v: Int) {
            bytes.append(UInt8(ascii: "0") + UInt8(v / 10))
            bytes.append(UInt8(ascii: "0") + UInt8(v % 10))
        }
        two(day / 3600); bytes.append(UInt8(ascii: ":"))
        two(day / 60 % 60); bytes.append(UInt8(ascii: ":"))
        two(day % 60); bytes.append(UInt8(ascii: "."))
        var micro = Int(nanos / 1000)
        var divisor = 100_000
        for _ in 0..<6 {
            bytes.append(UInt8(ascii: "0") + UInt8(micro / divisor))
            micro %= divisor
            divisor /= 10
        }
        flushIfNeeded()
    }

    /// Lower-case colon-separated MAC address.
    public func append(mac m: MACAddress) {
        for i in (0..<6).reversed() {
            appendHexByte(UInt8(truncatingIfNeeded: m.value >> (UInt64(i) * 8)))
            if i > 0 { bytes.append(UInt8(ascii: ":")) }
        }
    }

    /// Decimal integer without going through `String`.
    public func append<T: BinaryInteger>(int value: T) {
        var magnitude = UInt64(truncatingIfNeeded: value.magnitude)
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        if magnitude == 0 { bytes.append(UInt8(ascii: "0")); return }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes, room for 20 digits
        let n = withUnsafeMutableBytes(of: &digits) { d -> Int in
            var n = 0
            while magnitude > 0 {
                d[n] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                n += 1
            }
            return n
        }
        withUnsafeBytes(of: &digits) { d in
            for i in stride(from: n - 1, through: 0, by: -1) { bytes.append(d[i]) }
        }
        flushIfNeeded()
    }

    /// `seconds.fraction` with `digits` fractional digits from a nanosecond count (no Double).
    public func append(nanoseconds ns: Int64, fractionDigits digits: Int = 6) {
        if ns < 0 { bytes.append(UInt8(ascii: "-")) }
        let value = ns.magnitude  // UInt64: `-Int64.min` would overflow
        append(int: value / 1_000_000_000)
        guard digits > 0 else { return }
        bytes.append(UInt8(ascii: "."))
        var frac = value % 1_000_000_000
        var scale: UInt64 = 100_000_000
        for _ in 0..<min(digits, 9) {
            bytes.append(UInt8(ascii: "0") + UInt8(frac / scale))
            frac %= scale
            scale /= 10
        }
    }

    /// A Double with a fixed number of fractional digits (rounded), no exponent.
    public func append(double value: Double, fractionDigits digits: Int = 6) {
        guard value.isFinite else { append("0"); return }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        if value < 0 && scaled != 0 { bytes.append(UInt8(ascii: "-")) }
        let whole = Int64(scaled / scale)
        var frac = Int64(scaled - Double(whole) * scale)
        append(int: whole)
        guard digits > 0 else { return }
        bytes.append(UInt8(ascii: "."))
        var div = Int64(scale) / 10
        for _ in 0..<digits {
            bytes.append(UInt8(ascii: "0") + UInt8(div > 0 ? frac / div : 0))
            if div > 0 { frac %= div }
            div /= 10
        }
    }

    /// A quoted JSON string (RFC 8259 §7): `"`, `\` and control characters escaped.
    public func appendJSONString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
            case 0x0a: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0d: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20, 0x7f: appendUnicodeEscape(b)
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        flushIfNeeded()
    }

    /// Text for a terminal: C0 controls and DEL become `\xNN`, C1 controls (U+0080–U+009F,
    /// which some terminals obey as CSI and friends) become `\u{NN}`, so bytes from a packet can
    /// never move the cursor, change colours or ring the bell.
    public func appendTerminalSafe(_ s: String) {
        for scalar in s.unicodeScalars {
            let v = scalar.value
            if v < 0x20 || v == 0x7f {
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "x"))
                appendHexByte(UInt8(v))
            } else if v >= 0x80 && v <= 0x9f {
                append("\\u{")
                appendHexByte(UInt8(v))
                bytes.append(UInt8(ascii: "}"))
            } else {
                UTF8.encode(scalar) { bytes.append($0) }
            }
        }
        flushIfNeeded()
    }

    public func appendHexByte(_ b: UInt8) {
        let hex: StaticString = "0123456789abcdef"
        hex.withUTF8Buffer { h in
            bytes.append(h[Int(b >> 4)])
            bytes.append(h[Int(b & 0xf)])
        }
    }

    func appendUnicodeEscape(_ b: UInt8) {
        append("\\u00")
        appendHexByte(b)
    }

    public func flushIfNeeded() {
        if bytes.count >= chunkSize { flush() }
    }

    /// Drops everything buffered without writing it (for collect-only buffers reused per item).
    public func clear() { bytes.removeAll(keepingCapacity: true) }

    /// Writes everything buffered (retrying short writes).
    public func flush() { flushBytes() }

    private func flushBytes() {
        guard let fd = fileDescriptor, !bytes.isEmpty else { return }
        if !writeFailed {
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        writeFailed = true
                        writeErrno = errno
                        return
                    }
                    offset += n
                }
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }
}
