import PacketCodec

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A byte buffer for report output: appends without per-call allocation and writes to a file
/// descriptor in large chunks (`write(2)`), so formatting millions of lines costs no `print`.
///
/// The bytes live in a manually managed allocation reached through a `let` pointer, so an
/// append is a bounds check and a store: no array uniqueness check and no runtime exclusivity
/// check (class `var` properties cost both on every access, about a tenth of `analyze`'s time).
///
/// Strings that may carry bytes from the network go through `appendJSONString` or
/// `appendTerminalSafe`, which escape control characters, so nothing from a packet reaches a
/// terminal raw.
///
/// Not thread-safe: one writer at a time.
public final class OutputBuffer {
    private struct Storage {
        var base: UnsafeMutablePointer<UInt8>
        var count: Int
        var capacity: Int
    }

    private let storage: UnsafeMutablePointer<Storage>
    public let fileDescriptor: Int32?
    /// Flush threshold.
    public let chunkSize: Int
    /// Set when a write failed (e.g. EPIPE); further output is dropped.
    public private(set) var writeFailed = false
    /// The `errno` of the failed write (e.g. `EPIPE` when the reader went away); 0 otherwise.
    public private(set) var writeErrno: Int32 = 0

    /// A buffer that writes to `fileDescriptor` (nil: collect only, read `bytes`).
    public init(fileDescriptor: Int32? = 1, chunkSize: Int = 1 << 16) {
        self.fileDescriptor = fileDescriptor
        self.chunkSize = max(1, chunkSize)
        let capacity = self.chunkSize + 4096
        storage = .allocate(capacity: 1)
        storage.initialize(to: Storage(base: .allocate(capacity: capacity), count: 0, capacity: capacity))
    }

    deinit {
        flushBytes()
        storage.pointee.base.deallocate()
        storage.deallocate()
    }

    /// The bytes collected and not yet written (a copy; for tests and collect-only buffers).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage.pointee.base, count: storage.pointee.count)) }

    /// The collected text (for tests and collect-only buffers).
    public var text: String {
        String(decoding: UnsafeBufferPointer(start: storage.pointee.base, count: storage.pointee.count), as: UTF8.self)
    }

    // MARK: Raw appends (no flush check)

    /// Room for `n` more bytes; returns where they go.
    @inline(__always)
    private func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if _slowPath(storage.pointee.count &+ n > storage.pointee.capacity) { grow(n) }
        return storage.pointee.base + storage.pointee.count
    }

    private func grow(_ n: Int) {
        let old = storage.pointee
        let capacity = max(old.capacity * 2, old.count + n)
        let base = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        base.update(from: old.base, count: old.count)
        old.base.deallocate()
        storage.pointee.base = base
        storage.pointee.capacity = capacity
    }

    @inline(__always)
    private func put(_ b: UInt8) {
        reserve(1).pointee = b
        storage.pointee.count &+= 1
    }

    @inline(__always)
    private func put(_ buffer: UnsafeBufferPointer<UInt8>) {
        guard let source = buffer.baseAddress, buffer.count > 0 else { return }
        reserve(buffer.count).update(from: source, count: buffer.count)
        storage.pointee.count &+= buffer.count
    }

    // MARK: Appends

    /// Disfavoured so string literals pick the `StaticString` overload (no String, no ARC).
    @_disfavoredOverload
    public func append(_ s: String) {
        var s = s
        s.withUTF8 { put($0) }
        flushIfNeeded()
    }

    public func append(_ s: StaticString) {
        s.withUTF8Buffer { put($0) }
        flushIfNeeded()
    }

    /// Bytes already formatted (e.g. precomputed JSON keys).
    public func append(bytes: UnsafeBufferPointer<UInt8>) {
        put(bytes)
        flushIfNeeded()
    }

    public func append(byte: UInt8) {
        put(byte)
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
            put(UInt8(ascii: "0") + UInt8(v / 10))
            put(UInt8(ascii: "0") + UInt8(v % 10))
        }
        two(day / 3600); put(UInt8(ascii: ":"))
        two(day / 60 % 60); put(UInt8(ascii: ":"))
        two(day % 60); put(UInt8(ascii: "."))
        var micro = Int(nanos / 1000)
        var divisor = 100_000
        for _ in 0..<6 {
            put(UInt8(ascii: "0") + UInt8(micro / divisor))
            micro %= divisor
            divisor /= 10
        }
        flushIfNeeded()
    }

    /// Two decimal digits (`07`) of `v` modulo 100; negative values print as `00`.
    public func append(twoDigits v: Int) {
        let x = v < 0 ? 0 : v % 100
        put(UInt8(ascii: "0") + UInt8(x / 10))
        put(UInt8(ascii: "0") + UInt8(x % 10))
        flushIfNeeded()
    }

    /// Lower-case colon-separated MAC address.
    public func append(mac m: MACAddress) {
        // 17 bytes written in place: two hex digits per byte, ':' between.
        let p = reserve(17)
        @inline(__always) func hex(_ v: UInt64) -> UInt8 {
            let d = UInt8(truncatingIfNeeded: v & 0xf)
            return d < 10 ? UInt8(ascii: "0") &+ d : UInt8(ascii: "a") &- 10 &+ d
        }
        var i = 0
        var shift: UInt64 = 40
        while true {
            let byte = m.value >> shift
            p[i] = hex(byte >> 4)
            p[i &+ 1] = hex(byte)
            if shift == 0 { break }
            p[i &+ 2] = UInt8(ascii: ":")
            i &+= 3
            shift &-= 8
        }
        storage.pointee.count &+= 17
        flushIfNeeded()
    }

    /// Decimal integer without going through `String`.
    public func append<T: BinaryInteger>(int value: T) {
        var magnitude = UInt64(truncatingIfNeeded: value.magnitude)
        let p = reserve(21)  // sign + 20 digits
        var sign = 0
        if value < 0 { p[0] = UInt8(ascii: "-"); sign = 1 }
        var digits = 1
        var rest = magnitude
        while rest >= 10 { rest /= 10; digits &+= 1 }
        var i = sign &+ digits &- 1
        repeat {
            p[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
            i &-= 1
        } while magnitude > 0
        storage.pointee.count &+= sign &+ digits
        flushIfNeeded()
    }

    /// `seconds.fraction` with `digits` fractional digits from a nanosecond count (no Double).
    public func append(nanoseconds ns: Int64, fractionDigits digits: Int = 6) {
        if ns < 0 { put(UInt8(ascii: "-")) }
        let value = ns.magnitude  // UInt64: `-Int64.min` would overflow
        append(int: value / 1_000_000_000)
        guard digits > 0 else { return }
        put(UInt8(ascii: "."))
        var frac = value % 1_000_000_000
        var scale: UInt64 = 100_000_000
        for _ in 0..<min(digits, 9) {
            put(UInt8(ascii: "0") + UInt8(frac / scale))
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
        if value < 0 && scaled != 0 { put(UInt8(ascii: "-")) }
        let whole = Int64(scaled / scale)
        var frac = Int64(scaled - Double(whole) * scale)
        append(int: whole)
        guard digits > 0 else { return }
        put(UInt8(ascii: "."))
        var div = Int64(scale) / 10
        for _ in 0..<digits {
            put(UInt8(ascii: "0") + UInt8(div > 0 ? frac / div : 0))
            if div > 0 { frac %= div }
            div /= 10
        }
    }

    /// A quoted JSON string (RFC 8259 §7): `"`, `\` and control characters escaped.
    public func appendJSONString(_ s: String) {
        put(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): put(UInt8(ascii: "\\")); put(b)
            case UInt8(ascii: "\\"): put(UInt8(ascii: "\\")); put(b)
            case 0x0a: put(UInt8(ascii: "\\")); put(UInt8(ascii: "n"))
            case 0x0d: put(UInt8(ascii: "\\")); put(UInt8(ascii: "r"))
            case 0x09: put(UInt8(ascii: "\\")); put(UInt8(ascii: "t"))
            case 0..<0x20, 0x7f: appendUnicodeEscape(b)
            default: put(b)
            }
        }
        put(UInt8(ascii: "\""))
        flushIfNeeded()
    }

    /// Text for a terminal: C0 controls and DEL become `\xNN`, C1 controls (U+0080–U+009F,
    /// which some terminals obey as CSI and friends) become `\u{NN}`, so bytes from a packet can
    /// never move the cursor, change colours or ring the bell.
    public func appendTerminalSafe(_ s: String) {
        for scalar in s.unicodeScalars {
            let v = scalar.value
            if v < 0x20 || v == 0x7f {
                put(UInt8(ascii: "\\"))
                put(UInt8(ascii: "x"))
                appendHexByte(UInt8(v))
            } else if v >= 0x80 && v <= 0x9f {
                append("\\u{")
                appendHexByte(UInt8(v))
                put(UInt8(ascii: "}"))
            } else {
                UTF8.encode(scalar) { put($0) }
            }
        }
        flushIfNeeded()
    }

    public func appendHexByte(_ b: UInt8) {
        let hex: StaticString = "0123456789abcdef"
        hex.withUTF8Buffer { h in
            put(h[Int(b >> 4)])
            put(h[Int(b & 0xf)])
        }
    }

    func appendUnicodeEscape(_ b: UInt8) {
        append("\\u00")
        appendHexByte(b)
    }

    public func flushIfNeeded() {
        if storage.pointee.count >= chunkSize { flush() }
    }

    /// Drops everything buffered without writing it (for collect-only buffers reused per item).
    public func clear() { storage.pointee.count = 0 }

    /// Writes everything buffered (retrying short writes).
    public func flush() { flushBytes() }

    private func flushBytes() {
        guard let fd = fileDescriptor, storage.pointee.count > 0 else { return }
        if !writeFailed {
            let base = UnsafeRawPointer(storage.pointee.base)
            let count = storage.pointee.count
            var offset = 0
            while offset < count {
                let n = write(fd, base + offset, count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    writeFailed = true
                    writeErrno = errno
                    break
                }
                offset += n
            }
        }
        storage.pointee.count = 0
    }
}
