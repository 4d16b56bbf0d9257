// Fuzz harness and fuzz regression test, in one file.
//
// This file is compiled twice:
// - here, in the main package's PacketCodecTests, where the `@Test` at the bottom replays every
//   file under Fixtures/fuzz/<target>/ through `FuzzHarness.run(target, bytes)` and expects no
//   invariant violation (and no trap);
// - in FuzzTesting/ (a separate package), where FuzzTesting/Sources/FuzzCommon/FuzzHarness.swift
//   is a symlink to this file compiled with `-D FUZZING`, and each libFuzzer target calls
//   `FuzzHarness.fuzz(target, data, size)`, which traps on a violation so libFuzzer records it.
//
// So the regression test and the fuzzers run byte-identical checks. See FuzzTesting/README.md
// for the input formats and the invariants of each target.

import PacketCodec
import Pcap
#if canImport(Reports)
import Reports
#endif
#if canImport(FlowAnalysis)
import FlowAnalysis
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Harness entry points

/// The fuzz targets; the raw value is the Fixtures/fuzz/ subdirectory holding its regressions.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case decode, roundtrip, checksum, capturefile, analyzer, reports

    /// The Fixtures/fuzz/ subdirectory of regression inputs replayed through this target.
    /// `reports` reads capture files like `capturefile`, so both replay that directory.
    public var fixtureDirectory: String { self == .reports ? FuzzTarget.capturefile.rawValue : rawValue }
}

/// Invariant violations found while running one input.
public struct FuzzFailures: Sendable {
    public private(set) var messages: [String] = []
    public init() {}
    public var isEmpty: Bool { messages.isEmpty }

    @inline(__always)
    public mutating func check(_ ok: Bool, _ message: @autoclosure () -> String) {
        if !ok { messages.append(message()) }
    }

    /// A check for a known, reported but unfixed bug named `issue`: skipped while fuzzing when
    /// `SOCKEYE_FUZZ_KNOWN_ISSUES` (comma-separated names) lists it, so the fuzzer can look for
    /// other bugs; always checked in the regression test (its inputs are named `known-<issue>…`).
    @inline(__always)
    public mutating func check(known issue: String, _ ok: Bool, _ message: @autoclosure () -> String) {
        if !ok && !FuzzHarness.ignoredIssues.contains(issue) { messages.append("[\(issue)] " + message()) }
    }
}

public enum FuzzHarness {
    /// Known issues skipped while fuzzing (see `FuzzFailures.check(known:_:_:)`).
    static let ignoredIssues: Set<String> = {
        guard let v = getenv("SOCKEYE_FUZZ_KNOWN_ISSUES") else { return [] }
        return Set(String(cString: v).split(separator: ",").map(String.init))
    }()

    /// Runs `input` through `target`'s code path and returns the violated invariants.
    public static func run(_ target: FuzzTarget, _ input: UnsafeRawBufferPointer) -> FuzzFailures {
        var f = FuzzFailures()
        switch target {
        case .decode: runDecode(input, &f)
        case .roundtrip: runRoundTrip(input, &f)
        case .checksum: runChecksum(input, &f)
        case .capturefile: runCaptureFile(input, reports: false, &f)
        case .analyzer: runAnalyzer(input, &f)
        case .reports: runCaptureFile(input, reports: true, &f)
        }
        return f
    }

    public static func run(_ target: FuzzTarget, _ input: [UInt8]) -> FuzzFailures {
        input.withUnsafeBytes { run(target, $0) }
    }

    /// libFuzzer entry: traps (so libFuzzer writes a crash file) when an invariant is violated.
    public static func fuzz(_ target: FuzzTarget, _ data: UnsafeRawPointer?, _ size: Int) -> CInt {
        let f = run(target, UnsafeRawBufferPointer(start: size > 0 ? data : nil, count: size))
        if !f.isEmpty {
            fatalError("\(target.rawValue): invariant violated:\n  " + f.messages.prefix(8).joined(separator: "\n  "))
        }
        return 0
    }
}

// MARK: - Input helpers

extension FuzzHarness {
    /// Link types selected by the first input byte (`selector % 9`); 8 means an unknown DLT.
    static let linkTypes: [LinkType] = [.ethernet, .null, .loop, .rawIP, .linuxSLL, .linuxSLL2, .ipv4, .ipv6]

    static func linkType(_ selector: UInt8) -> LinkType {
        let i = Int(selector) % 9
        return i < linkTypes.count ? linkTypes[i] : .unknown(Int32(selector) + 1000)
    }

    /// Timestamps given to the formatters, chosen by `(selector / 9) % count`: ordinary ones and
    /// the extremes `Timestamp.totalNanoseconds` saturates to for absurd file timestamps.
    static let timestamps: [Int64] = [
        1_700_000_000_000_116_000, 1_700_000_000_123_456_789, 0, -1, -86_400_000_000_001,
        .max, .min,
    ]

    /// The snapshot-truncation byte: 0 none (len = caplen); 1...127 caplen + v;
    /// 128...254 caplen + (v - 127) × 1024; 255 a `len` below caplen (the decoder must clamp).
    static func wireLength(_ selector: UInt8, captureLength n: Int) -> Int? {
        switch selector {
        case 0: nil
        case 1...127: n + Int(selector)
        case 255: 0
        default: n + (Int(selector) - 127) * 1024
        }
    }

    /// Copies `bytes` into an allocation of exactly their size, so AddressSanitizer catches any
    /// read past the frame (libFuzzer's buffer may be longer than the part we pass on).
    static func withExactCopy<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { copy.deallocate() }
        if bytes.count > 0 { copy.copyMemory(from: bytes) }
        return body(UnsafeRawBufferPointer(copy))
    }

    static func slice(_ b: UnsafeRawBufferPointer, _ r: Range<Int>) -> [UInt8] {
        Array(UnsafeRawBufferPointer(rebasing: b[r]))
    }
}

/// Reads fuzz-chosen values; past the end every read returns zeros.
struct FuzzReader {
    let bytes: UnsafeRawBufferPointer
    var index = 0
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { max(0, bytes.count - index) }
    var isAtEnd: Bool { index >= bytes.count }

    mutating func u8() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }
    mutating func u16() -> UInt16 { UInt16(u8()) << 8 | UInt16(u8()) }
    mutating func u32() -> UInt32 { UInt32(u16()) << 16 | UInt32(u16()) }
    mutating func u64() -> UInt64 { UInt64(u32()) << 32 | UInt64(u32()) }
    mutating func bool() -> Bool { u8() & 1 != 0 }
    mutating func bytes(_ n: Int) -> [UInt8] {
        let k = max(0, min(n, remaining))
        defer { index += k }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[index..<(index + k)]))
    }
    mutating func rest(max n: Int = .max) -> [UInt8] { bytes(min(n, remaining)) }
}

// MARK: - Shared decode invariants

extension FuzzHarness {
    static let ipv4HeaderDefects: [Defect] = [.ipv4VersionInvalid, .ipv4HeaderLengthInvalid, .ipv4HeaderBeyondCapture]
    static let tcpHeaderDefects: [Defect] = [.tcpDataOffsetInvalid, .tcpDataOffsetBeyondSegment, .tcpDataOffsetBeyondCapture]

    /// Checks every offset and length `p` reports against the frame `b` it was decoded from,
    /// iterating all IPv4 and TCP options. `requestedWire` is what was passed as `wireLength`.
    static func checkDecoded(_ p: DecodedPacket, _ b: UnsafeRawBufferPointer, requestedWire: Int?,
                             verified: Bool, _ f: inout FuzzFailures) {
        let n = b.count
        let d = p.defects
        if !verified { f.check(!p.encapsulation.greChecksumBad, "GRE checksum verdict without verification") }
        f.check(p.captureLength == n, "captureLength \(p.captureLength) != \(n)")
        f.check(p.wireLength == max(requestedWire ?? n, n), "wireLength \(p.wireLength) for requested \(String(describing: requestedWire)), caplen \(n)")
        if let o = p.networkOffset {
            f.check(o >= 0 && o <= n, "networkOffset \(o) outside 0...\(n)")
        } else {
            f.check(p.ipv4 == nil && p.ipv6 == nil, "IP layer without networkOffset")
        }
        f.check(p.ipv4 == nil || p.ipv6 == nil, "both IPv4 and IPv6")
        f.check(p.tcp == nil || p.udp == nil, "both TCP and UDP")

        if let ip = p.ipv4 {
            f.check(ip.offset == p.networkOffset, "ipv4.offset \(ip.offset) != networkOffset \(String(describing: p.networkOffset))")
            f.check(ip.offset >= 0 && ip.offset + 20 <= n, "ipv4 fixed header \(ip.offset)+20 beyond \(n)")
            if !ipv4HeaderDefects.contains(where: d.contains) {
                f.check(ip.headerLength >= 20 && ip.headerLength <= 60, "ipv4.headerLength \(ip.headerLength)")
                f.check(ip.offset + ip.headerLength <= n, "ipv4 header end \(ip.offset + ip.headerLength) beyond \(n)")
                // `partial` only for a checksum field of 0x0000 that does not verify (offload).
                f.check(!verified || ip.checksumStatus == .good || ip.checksumStatus == .bad
                        || (ip.checksumStatus == .partial && ip.checksum == 0),
                        "ipv4 checksum status \(ip.checksumStatus)")
                var it = IPv4OptionIterator(bytes: b, header: ip)
                var count = 0
                while let o = it.next() {
                    count += 1
                    f.check(o.length >= 1 && o.offset >= ip.offset + 20 && o.offset + o.length <= ip.offset + ip.headerLength,
                            "ipv4 option \(o.offset)+\(o.length) outside \(ip.offset + 20)..<\(ip.offset + ip.headerLength)")
                    if count > 40 { f.check(false, "more than 40 IPv4 options"); break }
                }
                if !d.contains(.ipv4TotalLengthInvalid) {
                    f.check(ip.effectiveLength >= ip.headerLength && ip.offset + ip.effectiveLength <= p.wireLength,
                            "ipv4.effectiveLength \(ip.effectiveLength) (hl \(ip.headerLength), offset \(ip.offset), len \(p.wireLength))")
                }
            }
        }
        var ipv6End: Int?
        if let ip = p.ipv6 {
            f.check(ip.offset == p.networkOffset, "ipv6.offset \(ip.offset) != networkOffset \(String(describing: p.networkOffset))")
            f.check(ip.offset >= 0 && ip.offset + 40 <= n, "ipv6 fixed header \(ip.offset)+40 beyond \(n)")
            if !d.contains(.ipv6VersionInvalid) {
                let end = ip.offset + 40 + ip.effectivePayloadLength
                ipv6End = end
                f.check(ip.effectivePayloadLength >= 0 && end <= p.wireLength, "ipv6 datagram end \(end) beyond len \(p.wireLength)")
                f.check(ip.upperOffset >= ip.offset + 40 && ip.upperOffset <= end,
                        "ipv6.upperOffset \(ip.upperOffset) outside \(ip.offset + 40)...\(end)")
                // Within the capture unless the snapshot length cut the frame.
                f.check(p.wireLength > n || ip.upperOffset <= n, "ipv6.upperOffset \(ip.upperOffset) beyond caplen \(n)")
                f.check(ip.extensionHeaders.count <= IPv6Header.maxExtensionHeaders, "too many extension headers kept")
            }
        }

        if let t = p.tcp {
            f.check(t.offset >= 0 && t.offset + 20 <= n, "tcp fixed header \(t.offset)+20 beyond \(n)")
            if let ip = p.ipv4 { f.check(t.offset == ip.offset + ip.headerLength, "tcp.offset \(t.offset) not after IPv4 header") }
            if let ip = p.ipv6 { f.check(t.offset == ip.upperOffset, "tcp.offset \(t.offset) != ipv6.upperOffset \(ip.upperOffset)") }
            if !tcpHeaderDefects.contains(where: d.contains) {
                let end = t.offset + t.headerLength
                f.check(t.headerLength >= 20 && t.headerLength <= 60, "tcp.headerLength \(t.headerLength)")
                f.check(end <= n, "tcp header end \(end) beyond \(n)")
                f.check(p.payloadOffset == end && p.payloadLength == t.payloadLength && t.payloadLength >= 0,
                        "tcp payload \(p.payloadOffset)/\(p.payloadLength) vs header end \(end), payloadLength \(t.payloadLength)")
                if let e6 = ipv6End { f.check(end + t.payloadLength == e6, "tcp segment end != ipv6 datagram end") }
                if let ip = p.ipv4 { f.check(end + t.payloadLength == ip.offset + ip.effectiveLength, "tcp segment end != ipv4 datagram end") }
                var it = TCPOptionIterator(bytes: b, header: t)
                var count = 0
                while let e = it.next() {
                    count += 1
                    let valid = e.length >= 1 && e.offset >= t.offset + 20 && e.offset + e.length <= min(end, n)
                        && (e.kind <= 1 ? e.length == 1 : e.length >= 2)
                    f.check(valid, "tcp option kind \(e.kind) at \(e.offset)+\(e.length) outside \(t.offset + 20)..<\(end)")
                    guard valid else { break }
                    // The owned form re-emits exactly the option's bytes.
                    var emitted: [UInt8] = []
                    TCPOption(e, in: b).emit(into: &emitted)
                    f.check(emitted == slice(b, e.offset..<(e.offset + e.length)),
                            "tcp option kind \(e.kind) length \(e.length) re-emits as \(emitted)")
                    if count > 40 { f.check(false, "more than 40 TCP options"); break }
                }
                f.check(Int(t.options.count) == count, "TCPOptionSummary.count \(t.options.count) != \(count) options iterated")
                let r = it.remaining
                f.check(r.lowerBound <= r.upperBound && r.upperBound <= min(end, n), "TCP options remaining \(r) beyond header")
                if p.isFragment { f.check(t.checksumStatus == .unverified, "tcp checksum \(t.checksumStatus) on a fragment") }
                if !verified { f.check(t.checksumStatus == .unverified, "tcp checksum \(t.checksumStatus) without verification") }
            }
        }
        if let u = p.udp {
            f.check(u.offset >= 0 && u.offset + 8 <= n, "udp header \(u.offset)+8 beyond \(n)")
            f.check(p.payloadOffset == u.offset + 8 && p.payloadLength == u.payloadLength && u.payloadLength >= 0,
                    "udp payload \(p.payloadOffset)/\(p.payloadLength) vs header \(u.offset), payloadLength \(u.payloadLength)")
            if !d.contains(.udpLengthInvalid) && !d.contains(.udpLengthExceedsPayload) {
                // A first fragment's UDP length covers the whole datagram (no defect): at least the fragment.
                if p.isFragment {
                    f.check(Int(u.length) >= 8 + u.payloadLength, "udp.length \(u.length) < 8 + \(u.payloadLength) on a fragment")
                } else {
                    f.check(Int(u.length) == 8 + u.payloadLength, "udp.length \(u.length) != 8 + \(u.payloadLength)")
                }
            }
            let allowed: [ChecksumStatus] = p.isFragment || !verified ? [.unverified, .absent, .bad] : ChecksumStatus.allCases
            f.check(allowed.contains(u.checksumStatus), "udp checksum \(u.checksumStatus) (fragment \(p.isFragment), verified \(verified))")
            f.check((u.checksumStatus == .absent) == (u.checksum == 0 && p.ipv4 != nil), "udp absent status vs checksum \(u.checksum)")
        }

        f.check(p.payloadOffset >= 0 && p.payloadLength >= 0, "payload \(p.payloadOffset)/\(p.payloadLength) negative")
        f.check(p.payloadOffset + p.payloadLength <= p.wireLength,
                "payload end \(p.payloadOffset + p.payloadLength) beyond len \(p.wireLength)")
        let captured = p.capturedPayloadLength
        f.check(captured >= 0 && captured <= p.payloadLength && (captured == 0 || p.payloadOffset + captured <= n),
                "capturedPayloadLength \(captured) for payload \(p.payloadOffset)/\(p.payloadLength), caplen \(n)")
    }

    /// Fields that must not depend on whether checksums are verified.
    static func layout(_ p: DecodedPacket) -> [Int] {
        [p.networkOffset ?? -1, Int(p.etherType), p.payloadOffset, p.payloadLength, Int(truncatingIfNeeded: p.defects.rawValue),
         p.ipv4?.headerLength ?? -1, p.ipv4?.effectiveLength ?? -1, p.ipv6?.upperOffset ?? -1,
         p.ipv6?.effectivePayloadLength ?? -1, p.tcp?.offset ?? -1, p.tcp?.headerLength ?? -1,
         p.tcp?.payloadLength ?? -1, Int(p.tcp?.options.count ?? 0), p.udp?.offset ?? -1, p.udp?.payloadLength ?? -1]
    }

    #if canImport(Reports)
    /// Formats `p` as packet JSON and text into collect-only buffers and checks the output shape.
    static func checkFormatters(_ p: DecodedPacket, _ b: UnsafeRawBufferPointer, frame: Int, timestamp: Int64,
                                _ f: inout FuzzFailures) {
        // Collect-only buffers (no descriptor: nothing is ever written); a small chunk size keeps the
        // initial reservation small, which matters at thousands of executions per second.
        let json = OutputBuffer(fileDescriptor: nil, chunkSize: 1024)
        PacketJSONFormatter().write(frame: frame, timestampNanoseconds: timestamp, packet: p, bytes: b, to: json)
        let j = json.bytes
        f.check(j.last == 0x0a && j.firstIndex(of: 0x0a) == j.count - 1, "packet JSON is not one line")
        f.check(JSONValidator.isValidObject(j.dropLast()), "packet JSON invalid: \(json.text)")
        f.check(String(validating: j, as: UTF8.self) != nil, "packet JSON is not UTF-8")
        let text = OutputBuffer(fileDescriptor: nil, chunkSize: 1024)
        PacketTextFormatter().write(frame: frame, timestampNanoseconds: timestamp, packet: p, bytes: b, to: text)
        let t = text.bytes
        // One line per packet, as tcpdump: a VXLAN delivery line is followed by the inner packet's
        // line (so at most one more line per VXLAN header in the stack), and no line is empty.
        var vxlan = 0
        p.layers.forEachRaw { kind, _ in if kind == LayerKind.vxlan.rawValue { vxlan += 1 }; return true }
        let newlines = t.reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) }
        f.check(t.last == 0x0a && newlines >= 1 && newlines <= 1 + vxlan,
                "packet text is not one line (+1 per VXLAN header): \(newlines) lines, \(vxlan) VXLAN headers")
        f.check(t.first != 0x0a && !zip(t, t.dropFirst()).contains { $0 == 0x0a && $1 == 0x0a }, "empty line in packet text")
        f.check(!t.dropLast().contains { ($0 < 0x20 && $0 != 0x0a) || $0 == 0x7f }, "control character in packet text")
        f.check(String(validating: t, as: UTF8.self) != nil, "packet text is not UTF-8")
    }
    #else
    static func checkFormatters(_ p: DecodedPacket, _ b: UnsafeRawBufferPointer, frame: Int, timestamp: Int64,
                                _ f: inout FuzzFailures) {}
    #endif
}

// MARK: - FuzzDecode

extension FuzzHarness {
    /// Input: `[link selector][wire-length selector][frame…]`.
    static func runDecode(_ input: UnsafeRawBufferPointer, _ f: inout FuzzFailures) {
        guard input.count >= 2 else { return }
        let link = linkType(input[0])
        let ts = timestamps[(Int(input[0]) / 9) % timestamps.count]
        withExactCopy(UnsafeRawBufferPointer(rebasing: input[2...])) { b in
            let wire = wireLength(input[1], captureLength: b.count)
            let p = PacketDecoder().decode(b, linkType: link, wireLength: wire)
            checkDecoded(p, b, requestedWire: wire, verified: true, &f)
            let q = PacketDecoder(verifyChecksums: false).decode(b, linkType: link, wireLength: wire)
            checkDecoded(q, b, requestedWire: wire, verified: false, &f)
            f.check(layout(p) == layout(q), "layout depends on checksum verification: \(layout(p)) vs \(layout(q))")
            checkFormatters(p, b, frame: 1, timestamp: ts, &f)
        }
    }
}

// MARK: - FuzzRoundTrip

extension FuzzHarness {
    /// Input: `[link selector][frame…]`. decode → PacketRepr → encode(.verbatim) must give the
    /// frame back; encode(.standard) must decode to a repr that re-encodes identically, with good
    /// checksums.
    static func runRoundTrip(_ input: UnsafeRawBufferPointer, _ f: inout FuzzFailures) {
        guard input.count >= 1 else { return }
        let link = linkType(input[0])
        withExactCopy(UnsafeRawBufferPointer(rebasing: input[1...])) { b in
            guard let repr = PacketRepr(decoding: b, linkType: link) else { return }
            let frame = Array(b)
            let verbatim = repr.encode(options: .verbatim)
            f.check(verbatim == frame, "encode(.verbatim) != frame\n    frame    \(hexString(frame))\n    verbatim \(hexString(verbatim))")

            let standard = repr.encode()
            guard let again = PacketRepr(decoding: standard, linkType: link) else {
                f.check(false, "encode(.standard) does not decode: \(hexString(standard))")
                return
            }
            let reencoded = again.encode()
            f.check(reencoded == standard, "not a fixed point:\n    standard \(hexString(standard))\n    again    \(hexString(reencoded))")
            f.check(PacketRepr(decoding: again.encode(options: .verbatim), linkType: link) == again,
                    "decode(encode(.verbatim)) != repr")
            standard.withUnsafeBytes { s in
                // The checksums `.standard` fills are those of the chain PacketRepr holds (link →
                // IP → transport); a tunnel's or an MPLS/PPPoE-wrapped datagram stays payload,
                // verbatim, so only that chain is checked.
                var decoder = PacketDecoder()
                decoder.followsEncapsulations = false
                let p = decoder.decode(s, linkType: link)
                if let ip = p.ipv4 { f.check(ip.checksumStatus == .good, "standard encoding: ipv4 checksum \(ip.checksumStatus)") }
                if !p.isFragment {
                    if let t = p.tcp { f.check(t.checksumStatus == .good, "standard encoding: tcp checksum \(t.checksumStatus)") }
                    if let u = p.udp { f.check(u.checksumStatus == .good, "standard encoding: udp checksum \(u.checksumStatus)") }
                }
            }
        }
    }

    static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

// MARK: - FuzzChecksum

extension FuzzHarness {
    /// RFC 1071 the slow way, one 16-bit word at a time: the reference for `InternetChecksum.sum`.
    static func referenceSum(_ b: UnsafeRawBufferPointer) -> UInt16 {
        var s: UInt64 = 0
        var i = 0
        while i + 1 < b.count { s += UInt64(b[i]) << 8 | UInt64(b[i + 1]); i += 2 }
        if i < b.count { s += UInt64(b[i]) << 8 }
        while s >> 16 != 0 { s = (s & 0xffff) + (s >> 16) }
        return UInt16(s)
    }

    /// Which bytes a flip may touch, and what it must do (the rule documented in README.md):
    /// - `ipHeader` (IPv4 only): TOS, identification, TTL, header checksum and option bytes —
    ///   the IPv4 checksum turns not-good, the transport verdict stays good;
    /// - `addresses`: source/destination address bytes (in the pseudo-header) — the transport
    ///   verdict turns not-good, and for IPv4 the header checksum too;
    /// - `transport`: any byte of the TCP/UDP segment except those that define its layout (TCP
    ///   data offset byte 12, UDP length bytes 4–5) — the transport verdict turns not-good, the
    ///   IPv4 verdict stays good;
    /// - `uncovered`: bytes no checksum covers and that do not define the layout (Ethernet MACs,
    ///   SLL address, IPv6 flow label and hop limit, Ethernet trailer) — every verdict stays good.
    /// Never flipped: version/IHL, lengths, fragment fields, protocol/next header, EtherTypes,
    /// IPv6 extension headers (their next-header and length octets move the upper layer).
    enum FlipClass: CaseIterable { case ipHeader, addresses, transport, uncovered }

    /// Input (read by `FuzzReader`, zeros past the end):
    /// `mode` (bit 0 IPv6, bit 1 UDP, bits 2–4 link), flip class, flip position (16 bits), flip
    /// mask, then header fields, IPv4 options / IPv6 extension headers, TCP options, trailer
    /// length, and the payload (the rest).
    static func runChecksum(_ input: UnsafeRawBufferPointer, _ f: inout FuzzFailures) {
        // The optimized sum against the reference, aligned and misaligned.
        withExactCopy(input) { b in
            f.check(InternetChecksum.sum(b) == referenceSum(b), "InternetChecksum.sum differs from RFC 1071 reference")
            if b.count > 1 {
                let tail = UnsafeRawBufferPointer(rebasing: b[1...])
                f.check(InternetChecksum.sum(tail) == referenceSum(tail), "InternetChecksum.sum differs (misaligned)")
            }
        }

        var r = FuzzReader(input)
        let mode = r.u8()
        let isIPv6 = mode & 1 != 0
        let isUDP = mode & 2 != 0
        let flipClass = FlipClass.allCases[Int(r.u8()) % FlipClass.allCases.count]
        let flipPosition = Int(r.u16())
        let flipMask = max(1, r.u8())

        // Link layer.
        let etherType = isIPv6 ? EtherType.ipv6 : EtherType.ipv4
        let link: PacketRepr.Link
        let linkType: LinkType
        var uncovered: [Int] = []
        switch (mode >> 2) % 6 {
        case 0:
            var tags: [VLANTag] = []
            for _ in 0..<(r.u8() % 3) { tags.append(VLANTag(tpid: EtherType.vlan, tci: r.u16())) }
            link = .ethernet(EthernetHeader(destination: MACAddress(r.u64()), source: MACAddress(r.u64()),
                                            etherType: etherType, tags: VLANTags(tags)))
            linkType = .ethernet
            uncovered = Array(0..<12)
        case 1:
            link = .raw
            linkType = isIPv6 ? (mode & 0x20 != 0 ? .ipv6 : .rawIP) : (mode & 0x20 != 0 ? .ipv4 : .rawIP)
        case 2:
            link = .null(LoopbackHeader(family: isIPv6 ? [10, 24, 28, 30][Int(r.u8() % 4)] : 2))
            linkType = .null
        case 3:
            link = .loop(LoopbackHeader(family: isIPv6 ? [10, 24, 28, 30][Int(r.u8() % 4)] : 2))
            linkType = .loop
        default:
            let v2 = (mode >> 2) % 6 == 5
            link = .linuxSLL(LinuxSLLHeader(version: v2 ? 2 : 1, packetType: UInt16(r.u8() % 5), hardwareType: 1,
                                            addressLength: 6, address: r.u64(), protocolType: etherType,
                                            interfaceIndex: v2 ? r.u32() : 0))
            linkType = v2 ? .linuxSLL2 : .linuxSLL
            uncovered = Array(v2 ? 12..<20 : 6..<14)
        }
        let linkLength: Int
        switch link {
        case .ethernet(let e): linkLength = e.length
        case .linuxSLL(let s): linkLength = s.length
        case .null, .loop: linkLength = 4
        case .raw: linkLength = 0
        }

        // Network layer.
        let proto = isUDP ? IPProtocol.udp : IPProtocol.tcp
        let network: PacketRepr.Network
        var ipHeaderBytes: [Int] = []   // frame offsets, class ipHeader
        var addressBytes: [Int] = []    // frame offsets, class addresses
        var networkLength: Int
        if isIPv6 {
            var ip = IPv6Header()
            ip.trafficClass = r.u8()
            ip.flowLabel = r.u32() & 0xfffff
            ip.hopLimit = r.u8()
            ip.source = IPAddress(ipv6High: r.u64(), low: r.u64())
            ip.destination = IPAddress(ipv6High: r.u64(), low: r.u64())
            // A chain of 0–3 eight-byte extension headers ending in `proto`.
            let types: [UInt8] = [IPProtocol.hopByHop, IPProtocol.ipv6DestinationOptions, IPProtocol.ipv6Routing,
                                  IPProtocol.ipv6Fragment, IPProtocol.authentication]
            let chain = (0..<Int(r.u8() % 4)).map { _ in types[Int(r.u8()) % types.count] }
            var ext: [UInt8] = []
            for (i, type) in chain.enumerated() {
                let next = i + 1 < chain.count ? chain[i + 1] : proto
                if type == IPProtocol.ipv6Fragment {
                    // An atomic fragment (offset 0, M = 0): not a fragment for checksum purposes.
                    ext += [next, 0, 0, 0]
                    ext += r.bytes(4)   // identification
                    while ext.count % 8 != 0 { ext.append(0) }
                } else {
                    ext += [next, 0]   // length 0: 8 bytes (AH: (0 + 2) × 4 = 8 too)
                    ext += r.bytes(6)
                    while ext.count % 8 != 0 { ext.append(0) }
                }
            }
            ip.nextHeader = chain.first ?? proto
            network = .ipv6(ip, extensionHeaders: ext)
            addressBytes = Array((linkLength + 8)..<(linkLength + 40))
            uncovered += [1, 2, 3, 7].map { linkLength + $0 }
            networkLength = 40 + ext.count
        } else {
            var ip = IPv4Header()
            ip.tos = r.u8()
            ip.identification = r.u16()
            ip.ttl = r.u8()
            ip.dontFragment = r.bool()
            ip.reservedFlag = r.bool()
            ip.protocol = proto
            ip.source = r.u32()
            ip.destination = r.u32()
            let options = r.bytes(Int(r.u8() % 41))
            network = .ipv4(ip, options: options)
            networkLength = 20 + (options.count + 3) & ~3
            ipHeaderBytes = ([1, 4, 5, 8, 10, 11] + Array(20..<networkLength)).map { linkLength + $0 }
            addressBytes = Array((linkLength + 12)..<(linkLength + 20))
        }

        // Transport layer.
        let transport: PacketRepr.Transport
        if isUDP {
            var u = UDPHeader()
            u.sourcePort = r.u16()
            u.destinationPort = r.u16()
            transport = .udp(u)
        } else {
            var t = TCPHeader()
            t.sourcePort = r.u16()
            t.destinationPort = r.u16()
            t.sequenceNumber = r.u32()
            t.acknowledgmentNumber = r.u32()
            t.flags = TCPFlags(rawValue: r.u16() & 0x0fff)
            t.window = r.u16()
            t.urgentPointer = r.u16()
            t.headerLength = 20 + 4 * Int(r.u8() % 11)
            transport = .tcp(t, options: tcpOptions(&r))
        }
        let trailerLength = Int(r.u8() % 8)
        let trailer = r.bytes(trailerLength)
        let payload = r.rest(max: 4096)

        let repr = PacketRepr(link: link, network: network, transport: transport, payload: payload, trailer: trailer)
        let frame = repr.encode()
        let segmentStart = linkLength + networkLength
        let segmentEnd = frame.count - trailer.count
        uncovered += Array(segmentEnd..<frame.count)

        func decode(_ bytes: [UInt8]) -> DecodedPacket {
            bytes.withUnsafeBytes { b in withExactCopy(b) { PacketDecoder().decode($0, linkType: linkType) } }
        }
        func transportStatus(_ p: DecodedPacket) -> ChecksumStatus? { p.tcp?.checksumStatus ?? p.udp?.checksumStatus }

        let p = decode(frame)
        f.check(p.payloadOffset + p.payloadLength == segmentEnd && p.payloadLength == payload.count,
                "payload \(p.payloadOffset)/\(p.payloadLength), expected \(payload.count) bytes ending at \(segmentEnd)")
        f.check(isUDP ? p.udp?.offset == segmentStart : p.tcp?.offset == segmentStart,
                "transport header not decoded at \(segmentStart): defects \(Array(p.defects))")
        if !isIPv6 { f.check(p.ipv4?.checksumStatus == .good, "encoded ipv4 checksum \(String(describing: p.ipv4?.checksumStatus))") }
        f.check(transportStatus(p) == .good, "encoded transport checksum \(String(describing: transportStatus(p))): \(hexString(frame))")
        guard f.isEmpty else { return }

        // Flip one byte of the chosen class.
        var positions: [Int]
        switch flipClass {
        case .ipHeader: positions = ipHeaderBytes
        case .addresses: positions = addressBytes
        case .transport:
            positions = Array(segmentStart..<segmentEnd).filter {
                isUDP ? !($0 - segmentStart == 4 || $0 - segmentStart == 5) : $0 - segmentStart != 12
            }
        case .uncovered: positions = uncovered
        }
        guard !positions.isEmpty else { return }
        let at = positions[flipPosition % positions.count]
        var flipped = frame
        flipped[at] ^= flipMask
        let q = decode(flipped)
        f.check(q.payloadOffset == p.payloadOffset && q.payloadLength == p.payloadLength,
                "flip at \(at) (\(flipClass)) moved the payload")
        f.check(q.tcp != nil || q.udp != nil, "flip at \(at) (\(flipClass)) lost the transport layer")
        let ipGood = q.ipv4.map { $0.checksumStatus == .good }
        let transportGood = transportStatus(q) == .good
        let where_ = "flip 0x\(String(flipMask, radix: 16)) at \(at) (\(flipClass)) of \(hexString(frame))"
        switch flipClass {
        case .ipHeader:
            f.check(ipGood == false, "ipv4 checksum still good after \(where_)")
            f.check(transportGood, "transport checksum changed after \(where_)")
        case .addresses:
            f.check(!transportGood, "transport checksum still good after \(where_)")
            if !isIPv6 { f.check(ipGood == false, "ipv4 checksum still good after \(where_)") }
        case .transport:
            f.check(!transportGood, "transport checksum still good after \(where_)")
            if !isIPv6 { f.check(ipGood == true, "ipv4 checksum changed after \(where_)") }
        case .uncovered:
            f.check(transportGood, "transport checksum changed after \(where_)")
            if !isIPv6 { f.check(ipGood == true, "ipv4 checksum changed after \(where_)") }
        }
    }

    /// Up to 40 bytes of TCP options chosen by the input.
    static func tcpOptions(_ r: inout FuzzReader) -> [TCPOption] {
        var options: [TCPOption] = []
        var size = 0
        for _ in 0..<Int(r.u8() % 10) {
            let option: TCPOption
            switch r.u8() % 14 {
            case 0: option = .endOfList
            case 1: option = .noOperation
            case 2: option = .maxSegmentSize(r.u16())
            case 3: option = .windowScale(r.u8())
            case 4: option = .sackPermitted
            case 5: option = .sack((0..<(1 + Int(r.u8() % 4))).map { _ in .init(left: r.u32(), right: r.u32()) })
            case 6: option = .timestamp(value: r.u32(), echo: r.u32())
            case 7: option = .md5Signature(r.bytes(16))
            case 8: option = .userTimeout(minutes: r.bool(), timeout: r.u16() & 0x7fff)
            case 9: option = .authentication(keyID: r.u8(), nextKeyID: r.u8(), mac: r.bytes(Int(r.u8() % 17)))
            case 10: option = .multipath(r.bytes(1 + Int(r.u8() % 12)))
            case 11: option = .fastOpen(cookie: r.bytes(Int(r.u8() % 17)))
            case 12: option = .experimental(kind: r.bool() ? 253 : 254, data: r.bytes(2 + Int(r.u8() % 6)))
            default: option = .unknown(kind: r.u8(), data: r.bytes(Int(r.u8() % 8)))
            }
            var bytes: [UInt8] = []
            option.emit(into: &bytes)
            guard size + bytes.count <= 40 else { break }
            size += bytes.count
            options.append(option)
        }
        return options
    }
}

// MARK: - FuzzCaptureFile

extension FuzzHarness {
    /// Input: a whole pcap or pcapng file, read from memory (`CaptureFile(bytes:)`).
    ///
    /// `capturefile`: the in-memory classic-pcap reader and libpcap (`reader: .libpcap`, on an
    /// `fmemopen` stream) must agree (classic pcap only) on the header fields, every record and the ending (error,
    /// message, packets read); every packet is decoded (offset invariants) and fed to a
    /// FlowAnalyzer whose records must satisfy the conn.log invariants.
    /// `reports`: the same file through the packet formatters (text and JSON, every packet) and
    /// every flow writer at the end (JSON lines must parse, TSV rows must be whole).
    /// Errors must be CaptureError values of the reading kinds, with `packetsRead` equal to what
    /// was delivered.
    static func runCaptureFile(_ input: UnsafeRawBufferPointer, reports: Bool, _ f: inout FuzzFailures) {
        var delivered = 0
        var sink = CaptureSink()
        var reference: CaptureFile? = nil
        var ending: CaptureError? = nil
        // pcapng is read by Sockeye's own reader, which reads what libpcap refuses (interfaces of
        // several link types) and follows tshark where the two differ (PcapNGReaderTests compares
        // it with libpcap and tshark on every fixture and corpus file); here it must hold the
        // reading invariants only. Classic pcap: the memory reader and libpcap must agree exactly.
        let pcapng = input.count >= 4 && input.loadUnaligned(as: UInt32.self) == 0x0A0D_0D0A
        let differential = !reports && !pcapng
        do {
            let file = try CaptureFile(bytes: input, name: "fuzz.pcap")
            if differential {
                do {
                    let other = try CaptureFile(bytes: input, name: "fuzz.pcap", reader: .libpcap)
                    f.check(file.linkType == other.linkType && file.snapshotLength == other.snapshotLength
                            && file.isSwapped == other.isSwapped && file.majorVersion == other.majorVersion
                            && file.minorVersion == other.minorVersion,
                            "header: memory \(file.linkType)/\(file.snapshotLength)/\(file.isSwapped)/\(file.majorVersion).\(file.minorVersion) vs libpcap \(other.linkType)/\(other.snapshotLength)/\(other.isSwapped)/\(other.majorVersion).\(other.minorVersion)")
                    reference = other
                } catch {
                    f.check(false, "libpcap refuses what the memory reader opened: \(error)")
                }
            }
            while true {
                let record: PacketRecord?
                do { record = try file.next() } catch { ending = error; break }
                if let libpcap = reference {
                    do {
                        let expected = try libpcap.next()
                        f.check((record == nil) == (expected == nil), "record \(delivered + 1): memory \(record == nil ? "ends" : "has one"), libpcap \(expected == nil ? "ends" : "has one")")
                        if let record, let expected {
                            f.check(record.timestamp == expected.timestamp && record.wireLength == expected.wireLength
                                    && record.linkType == expected.linkType && record.bytes.elementsEqual(expected.bytes),
                                    "record \(delivered + 1): memory \(record.timestamp)/\(record.wireLength)/\(record.captureLength) vs libpcap \(expected.timestamp)/\(expected.wireLength)/\(expected.captureLength)")
                        }
                    } catch {
                        f.check(false, "record \(delivered + 1): libpcap fails (\(error)) where the memory reader \(record == nil ? "ends" : "delivers")")
                        reference = nil
                    }
                }
                guard let record else { break }
                delivered += 1
                f.check(record.captureLength == record.bytes.count, "record captureLength != bytes.count")
                f.check(record.timestamp.nanoseconds < 1_000_000_000, "timestamp not normalised")
                let link = LinkType(dlt: record.linkType)
                let p = PacketDecoder().decode(record.bytes, linkType: link, wireLength: record.wireLength)
                checkDecoded(p, record.bytes, requestedWire: record.wireLength, verified: true, &f)
                if reports {
                    checkFormatters(p, record.bytes, frame: delivered, timestamp: record.timestamp.totalNanoseconds, &f)
                }
                sink.process(p, time: record.timestamp.totalNanoseconds, bytes: record.bytes)
                if delivered >= 100_000 || !f.isEmpty { break }
            }
            f.check(file.packetsRead == delivered, "packetsRead \(file.packetsRead) != \(delivered) delivered")
            if let ending, let reference {
                do {
                    _ = try reference.next()
                    f.check(false, "memory reader: \(ending); libpcap does not fail there")
                } catch {
                    f.check(error == ending, "memory reader: \(ending); libpcap: \(error)")
                }
            }
        } catch {
            ending = error   // checked with the reading errors below
            if differential {
                do {
                    _ = try CaptureFile(bytes: input, name: "fuzz.pcap", reader: .libpcap)
                    f.check(false, "libpcap opens what the memory reader refused (\(error))")
                } catch let other {
                    f.check(other == error, "open: memory \(error) vs libpcap \(other)")
                }
            }
        }
        if let ending {
            switch ending {
            case .notACaptureFile, .fileUnreadable:
                f.check(delivered == 0, "open error after \(delivered) packets: \(ending)")
            case .damaged(_, _, let packetsRead):
                f.check(packetsRead == delivered, "damaged after \(packetsRead) packets but \(delivered) delivered")
            default:
                f.check(false, "unexpected error reading a file: \(ending)")
            }
        }
        sink.finish(writers: reports, &f)
    }
}

#if canImport(FlowAnalysis)
/// Feeds the packets of a capture file to a FlowAnalyzer (small flow cap, so eviction runs too)
/// and checks the records and the record writers at the end.
struct CaptureSink {
    var records: RecordBox
    var analyzer: FlowAnalyzer
    var packets: UInt64 = 0

    init() {
        var c = FlowConfiguration()
        c.maxFlows = 16
        let box = RecordBox()
        records = box
        analyzer = FlowAnalyzer(configuration: c) { box.records.append($0) }
        analyzer.onTunnel = { box.tunnels.append($0) }
    }

    mutating func process(_ p: DecodedPacket, time: Int64, bytes: UnsafeRawBufferPointer) {
        packets += 1
        analyzer.process(p, time: time, bytes: bytes)
    }

    func finish(writers: Bool, _ f: inout FuzzFailures) {
        analyzer.finish()
        let s = analyzer.summary
        f.check(s.packets == packets, "analyzer counted \(s.packets) packets, fed \(packets)")
        f.check(analyzer.activeFlows == 0, "\(analyzer.activeFlows) flows left after finish()")
        f.check(UInt64(records.records.count) == s.flows, "\(records.records.count) records for \(s.flows) flows")
        FuzzHarness.checkRecords(records.records, &f)
        FuzzHarness.checkTunnels(records.tunnels, records.records, &f)
        if writers { FuzzHarness.checkWriters(records.records, s, &f, tunnels: records.tunnels) }
    }
}

final class RecordBox {
    var records: [ConnectionRecord] = []
    var tunnels: [TunnelEvent] = []
}

extension FuzzHarness {
    /// Invariants every record satisfies, whatever the input (Zeek conn.log semantics,
    /// flow-semantics.md §1.2–1.3).
    static func checkRecords(_ records: [ConnectionRecord], _ f: inout FuzzFailures) {
        var uids = Set<String>()
        for r in records {
            // Only for failure messages (built lazily: interpolating enums costs a reflection call).
            var id: String { "\(r.uid) \(r.proto) \(r.connState) '\(r.history)'" }
            // Distinct even when a 5-tuple starts twice at one nanosecond (eviction or reuse at one
            // timestamp, or time going backwards): see UIDGuard.
            f.check(uids.insert(r.uid).inserted, "duplicate uid \(r.uid)")
            let h = Array(r.history.utf8)
            // Zeek's FlipRoles appends '^' without rewriting earlier letters (only "H" → "^h" is
            // rewritten): after a mid-history flip, letters before it name the old roles, so the
            // per-direction checks below compare letters case-insensitively and are skipped.
            let midFlip = h.dropFirst().contains(UInt8(ascii: "^"))
            // A history cut at its capacity (48 letters, a documented departure from Zeek) may have
            // lost the letter that explains the state (e.g. the responder's first RST after 47
            // repeated originator RSTs): the letter checks below are skipped for it.
            let full = h.count >= HistoryBuffer.capacity
            func has(_ letters: String) -> Bool {
                let set = midFlip ? letters.uppercased() + letters.lowercased() : letters
                return h.contains { set.utf8.contains($0) }
            }
            func count(_ c: Unicode.Scalar) -> Int { h.filter { $0 == UInt8(ascii: c) }.count }
            f.check(h.allSatisfy { "SHADFRCGTWIQXshadfrcgtwiq^".utf8.contains($0) }, "\(id): unknown history letter")
            if !midFlip {
                for c in "ADIQadiq".unicodeScalars { f.check(count(c) <= 1, "\(id): '\(c)' recorded more than once") }
                // A direction that sent no counted packet has no letters (a bad-checksum 'C' aside).
                if r.originatorPackets == 0 { f.check(!has("SHADFRGTWIQ"), "\(id): originator letters without originator packets") }
                if r.responderPackets == 0 { f.check(!has("shadfrgtwiq"), "\(id): responder letters without responder packets") }
            }
            f.check(r.originatorIPBytes >= 20 * r.originatorPackets && r.responderIPBytes >= 20 * r.responderPackets,
                    "\(id): fewer than 20 IP bytes per packet")
            if let d = r.duration { f.check(d.isFinite, "\(id): duration \(d)") }
            if r.duration == nil { f.check(r.originatorBytes == nil && r.responderBytes == nil, "\(id): bytes without duration") }
            switch r.proto {
            case .tcp:
                f.check(r.ipProtocol == 6, "\(id): ip_proto \(r.ipProtocol)")
                switch full ? nil : r.connState {
                case .SF: f.check(has("FQI") && has("fqi"), "\(id): SF without a FIN from each side")
                case .S2, .SH: f.check(has("FQI"), "\(id): originator closed without a FIN")
                case .S3, .SHR: f.check(has("fqi"), "\(id): responder closed without a FIN")
                case .REJ, .RSTR, .RSTRH: f.check(has("rqi"), "\(id): responder reset without an RST")
                case .RSTO, .RSTOS0: f.check(has("RQI"), "\(id): originator reset without an RST")
                // SYN_SENT needs a SYN-bearing packet; its letter may be H (an originator SYN-ACK
                // first, then a SYN with the same relative seq adds no letter: S and H share a mask).
                case .S0: f.check(has("SHQ"), "\(id): S0 without an originator SYN")
                default: break
                }
            case .udp:
                f.check(r.ipProtocol == 17, "\(id): ip_proto \(r.ipProtocol)")
                f.check(h.allSatisfy { "DdCc^".utf8.contains($0) }, "\(id): non-UDP history letter")
                let expected: ConnState = has("D") ? (has("d") ? .SF : .S0) : (has("d") ? .SHR : .OTH)
                f.check(r.connState == expected, "\(id): UDP state should be \(expected)")
            case .icmp, .other:
                f.check(r.connState == .OTH, "\(id): non-TCP/UDP state")
            }
        }
    }

    /// Runs every flow writer over the records: JSON lines must parse, Zeek TSV rows must have
    /// one value per field.
    /// tunnel.log events: a DISCOVER only for a tunnel not active, CLOSE/EXPIRE only for an
    /// active one, CLOSE only for a UDP tunnel whose delivery record exists, every
    /// `tunnel_parents` uid discovered, times never before the first event's.
    static func checkTunnels(_ events: [TunnelEvent], _ records: [ConnectionRecord], _ f: inout FuzzFailures) {
        var active: Set<String> = [], discovered: Set<String> = []
        let udp = Set(records.filter { $0.proto == .udp }.map(\.uid))
        for e in events {
            switch e.action {
            case .discover:
                f.check(!active.contains(e.uid), "tunnel \(e.uid) discovered twice while active")
                active.insert(e.uid); discovered.insert(e.uid)
            case .close:
                f.check(active.remove(e.uid) != nil, "tunnel \(e.uid) closed while not active")
                f.check(udp.contains(e.uid), "closed tunnel \(e.uid) is not a UDP delivery record")
            case .expire:
                f.check(active.remove(e.uid) != nil, "tunnel \(e.uid) expired while not active")
            }
            let ipTunnel = e.type == .gre || e.type == .erspan || e.type == .ipInIP
            f.check(!ipTunnel || (e.originator.port == 0 && e.responder.port == 0), "IP tunnel \(e.uid) with ports")
        }
        for r in records {
            for p in r.tunnelParents { f.check(discovered.contains(p), "tunnel parent \(p) of \(r.uid) never discovered") }
            f.check(Set(r.tunnelParents).count == r.tunnelParents.count, "\(r.uid): repeated tunnel parent")
        }
    }

    static func checkWriters(_ records: [ConnectionRecord], _ summary: AnalysisSummary, _ f: inout FuzzFailures,
                             tunnels: [TunnelEvent] = []) {
        #if canImport(Reports)
        let tunnelLog = OutputBuffer(fileDescriptor: nil, chunkSize: 1024)
        let tl = ZeekTunnelLogWriter(output: tunnelLog)
        tl.begin(firstPacketTime: summary.firstTime)
        for e in tunnels { tl.write(e) }
        tl.finish(summary: summary)
        for line in tunnelLog.bytes.split(separator: 0x0a) where line.first != UInt8(ascii: "#") {
            let n = line.split(separator: 0x09, omittingEmptySubsequences: false).count
            f.check(n == ZeekTunnelLogWriter.fields.count, "tunnel.log row has \(n) values")
        }
        let json = OutputBuffer(fileDescriptor: nil, chunkSize: 1024)
        let jw = FlowJSONWriter(output: json)
        jw.begin(firstPacketTime: summary.firstTime)
        for r in records { jw.write(r) }
        jw.finish(summary: summary)
        for line in json.bytes.split(separator: 0x0a, omittingEmptySubsequences: false).dropLast() {
            f.check(JSONValidator.isValidObject(ArraySlice(line)), "flow JSON invalid: \(String(decoding: line, as: UTF8.self))")
        }
        let tsv = OutputBuffer(fileDescriptor: nil, chunkSize: 1024)
        let tw = ZeekTSVWriter(output: tsv)
        tw.begin(firstPacketTime: summary.firstTime)
        for r in records { tw.write(r) }
        tw.finish(summary: summary)
        for line in tsv.bytes.split(separator: 0x0a) where line.first != UInt8(ascii: "#") {
            let n = line.split(separator: 0x09, omittingEmptySubsequences: false).count
            f.check(n == ZeekTSVWriter.fields.count, "Zeek TSV row has \(n) values for \(ZeekTSVWriter.fields.count) fields")
        }
        let writers: [any FlowRecordWriter] = [FlowCSVWriter(output: OutputBuffer(fileDescriptor: nil, chunkSize: 1024)),
                                               FlowTextReport(output: OutputBuffer(fileDescriptor: nil, chunkSize: 1024))]
        for w in writers {
            w.begin(firstPacketTime: summary.firstTime)
            for r in records { w.write(r) }
            w.finish(summary: summary)
        }
        #endif
    }
}

// MARK: - FuzzAnalyzer

extension FuzzHarness {
    /// One generated segment and what the analyzer must account for.
    struct GeneratedPacket {
        var frame: [UInt8]
        var time: Int64
        var flow: Int
        var ipLength: Int
        var payload: Int
    }

    /// Input: `[config][descriptor × 8 bytes]…` (see README.md). Config: bits 0–1 flow count
    /// (1–3), bit 2 IPv6, bit 3 third flow is UDP, bit 4 short timeouts, bits 5–6 maxFlows 1/2,
    /// bit 7 keep events. Descriptor: flow and direction, checksum corruption, time scale; TCP
    /// flags; seq and ack selectors; payload length; window; time delta; options.
    static func runAnalyzer(_ input: UnsafeRawBufferPointer, _ f: inout FuzzFailures) {
        guard input.count >= 1 else { return }
        let c = input[0]
        var config = FlowConfiguration()
        if c & 0x10 != 0 {
            config.tcpInactivityTimeout = 20_000_000_000
            config.udpInactivityTimeout = 10_000_000_000
            config.otherInactivityTimeout = 10_000_000_000
            config.tcpAttemptDelay = 2_000_000_000
            config.tcpCloseDelay = 2_000_000_000
            config.tcpConnectionLinger = 2_000_000_000
        }
        config.maxFlows = c & 0x20 != 0 ? 1 : (c & 0x40 != 0 ? 2 : 100)
        config.keepEvents = c & 0x80 != 0
        config.maxEventsPerFlow = 4
        let packets = generatePackets(input)
        guard !packets.isEmpty else { return }
        let first = analyze(packets, config, &f)
        let second = analyze(packets, config, &f)
        f.check(first == second, "analysis is not deterministic:\n    \(first)\n    \(second)")
    }

    static func flowEndpoints(_ k: Int, ipv6: Bool) -> (IPAddress, UInt16, IPAddress, UInt16) {
        func a(_ n: UInt32) -> IPAddress { ipv6 ? IPAddress(ipv6High: 0xfd00 << 48, low: UInt64(n)) : IPAddress(ipv4: 0x0a00_0000 | n) }
        switch k {
        case 0: return (a(1), 40000, a(2), 80)
        case 1: return (a(3), 443, a(4), 80)      // both likely server ports
        default: return (a(1), 53000, a(5), 53)
        }
    }

    static func generatePackets(_ input: UnsafeRawBufferPointer) -> [GeneratedPacket] {
        let c = input[0]
        let flows = 1 + Int(c & 3) % 3
        let ipv6 = c & 4 != 0
        let udpFlow = c & 8 != 0 ? 2 : -1
        // Sequence state per flow and direction: next expected sequence number and last start.
        var next: [[UInt32]] = [[1000, 5000], [0xffff_ff00, 0x7fff_fff0], [1, 2]]
        var last = next
        var time: Int64 = 1_700_000_000_000_000_000
        let scales: [Int64] = [0, 1_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000, 100_000_000_000]
        var out: [GeneratedPacket] = []
        var i = 1
        while i + 8 <= input.count {
            let d = UnsafeRawBufferPointer(rebasing: input[i..<(i + 8)])
            i += 8
            let flow = Int(d[0] & 3) % flows
            let dir = Int(d[0] >> 2) & 1
            time += Int64(d[6]) * scales[Int(d[0] >> 4) & 7]
            let (ca, cp, sa, sp) = flowEndpoints(flow, ipv6: ipv6)
            let (src, sport, dst, dport) = dir == 0 ? (ca, cp, sa, sp) : (sa, sp, ca, cp)
            let payload = [UInt8](repeating: 0x61, count: Int(d[4]))
            let transport: PacketRepr.Transport
            if flow == udpFlow {
                var u = UDPHeader()
                u.sourcePort = sport
                u.destinationPort = dport
                transport = .udp(u)
            } else {
                let flags = TCPFlags(rawValue: UInt16(d[1]))
                let s = d[2]
                let n = next[flow][dir]
                let seq: UInt32
                switch s {
                case 1...63: seq = n &+ UInt32(s) &* 100
                case 64...127: seq = n &- UInt32(s - 63) &* 100
                case 128...159: seq = last[flow][dir]
                case 160...191: seq = UInt32(s) << 24
                default: seq = n
                }
                let peer = next[flow][1 - dir]
                let a = d[3]
                let ack: UInt32 = switch a {
                case 1...63: peer &- UInt32(a)
                case 64...127: peer &+ UInt32(a - 63) &* 100
                default: peer
                }
                var t = TCPHeader()
                t.sourcePort = sport
                t.destinationPort = dport
                t.sequenceNumber = seq
                t.acknowledgmentNumber = flags.contains(.ack) ? ack : 0
                t.flags = flags
                t.window = UInt16(d[5]) << 8 | UInt16(d[5])
                let options: [TCPOption]
                switch d[7] & 3 {
                case 1: options = [.maxSegmentSize(1460), .sackPermitted, .timestamp(value: UInt32(truncatingIfNeeded: time / 1_000_000), echo: 0),
                                   .noOperation, .windowScale(d[7] >> 2)]
                case 2: options = [.noOperation, .noOperation, .sack([.init(left: ack &+ 100, right: ack &+ 200)])]
                case 3: options = [.noOperation, .noOperation, .timestamp(value: UInt32(truncatingIfNeeded: time / 1_000_000), echo: 1)]
                default: options = []
                }
                transport = .tcp(t, options: options)
                let end = seq &+ UInt32(payload.count) &+ (flags.contains(.syn) ? 1 : 0) &+ (flags.contains(.fin) ? 1 : 0)
                if Int32(bitPattern: end &- n) > 0 { next[flow][dir] = end }
                last[flow][dir] = seq
            }
            let network: PacketRepr.Network
            let proto = flow == udpFlow ? IPProtocol.udp : IPProtocol.tcp
            if ipv6 {
                var ip = IPv6Header()
                ip.nextHeader = proto
                ip.source = src
                ip.destination = dst
                network = .ipv6(ip, extensionHeaders: [])
            } else {
                var ip = IPv4Header()
                ip.protocol = proto
                ip.source = src.ipv4
                ip.destination = dst.ipv4
                network = .ipv4(ip, options: [])
            }
            var frame = PacketRepr(link: .raw, network: network, transport: transport, payload: payload).encode()
            let headerEnd = ipv6 ? 40 : 20
            if d[0] & 0x08 != 0 { frame[headerEnd + (flow == udpFlow ? 7 : 17)] ^= 0x55 }  // corrupt the checksum
            out.append(GeneratedPacket(frame: frame, time: time, flow: flow, ipLength: frame.count, payload: payload.count))
        }
        return out
    }

    /// Runs the analyzer over `packets`; returns a digest of the records for the determinism check.
    /// What the determinism check compares.
    struct RecordDigest: Equatable {
        var uid: String
        var state: ConnState
        var history: String
        var packets: [UInt64]
        var closeReason: CloseReason
    }

    static func analyze(_ packets: [GeneratedPacket], _ config: FlowConfiguration, _ f: inout FuzzFailures) -> [RecordDigest] {
        let box = RecordBox()
        let analyzer = FlowAnalyzer(configuration: config) { box.records.append($0) }
        let decoder = PacketDecoder()
        var fed = [Int](repeating: 0, count: 3), bad = fed, ipBytes = fed, badIPBytes = fed, udpPayload = fed
        var ipv6 = false
        for pk in packets {
            pk.frame.withUnsafeBytes { b in
                let p = decoder.decode(b, linkType: .rawIP)
                ipv6 = p.ipv6 != nil
                let status = p.tcp?.checksumStatus ?? p.udp?.checksumStatus
                f.check(p.tcp != nil || p.udp != nil, "generated packet does not decode: \(hexString(pk.frame))")
                fed[pk.flow] += 1
                ipBytes[pk.flow] += pk.ipLength
                if status == .bad {
                    bad[pk.flow] += 1
                    badIPBytes[pk.flow] += pk.ipLength
                } else if p.udp != nil {
                    udpPayload[pk.flow] += pk.payload
                }
                analyzer.process(p, time: pk.time, bytes: b)
            }
        }
        analyzer.finish()
        let s = analyzer.summary
        let records = box.records
        f.check(s.packets == UInt64(packets.count), "analyzer counted \(s.packets) packets, fed \(packets.count)")
        f.check(s.tcpPackets + s.udpPackets == UInt64(packets.count), "tcp \(s.tcpPackets) + udp \(s.udpPackets) != \(packets.count)")
        f.check(analyzer.activeFlows == 0, "\(analyzer.activeFlows) flows left after finish()")
        f.check(UInt64(records.count) == s.flows, "\(records.count) records for \(s.flows) flows")
        checkRecords(records, &f)

        // Per 5-tuple: every fed packet is in exactly one record (bad-checksum ones may be left out).
        var pkts = [Int](repeating: 0, count: 3), bytes = pkts, udpBytes = pkts
        let first = packets.first!.time, lastTime = packets.last!.time
        for r in records {
            guard let k = (0..<3).first(where: { k in
                let (ca, cp, sa, sp) = flowEndpoints(k, ipv6: ipv6)
                let a = Endpoint(address: ca, port: cp), b = Endpoint(address: sa, port: sp)
                return (r.originator == a && r.responder == b) || (r.originator == b && r.responder == a)
            }) else {
                f.check(false, "record \(r.uid) for an unknown 5-tuple \(r.originator) \(r.responder)")
                continue
            }
            pkts[k] += Int(r.originatorPackets + r.responderPackets)
            bytes[k] += Int(r.originatorIPBytes + r.responderIPBytes)
            if r.proto == .udp { udpBytes[k] += Int((r.originatorBytes ?? 0) + (r.responderBytes ?? 0)) }
            f.check(r.startTime >= first && r.startTime <= r.lastTime && r.lastTime <= lastTime,
                    "record \(r.uid) times \(r.startTime)...\(r.lastTime) outside the input's \(first)...\(lastTime)")
            if let d = r.duration { f.check(d >= 0, "record \(r.uid) negative duration \(d)") }
        }
        for k in 0..<3 {
            f.check(pkts[k] <= fed[k] && pkts[k] >= fed[k] - bad[k],
                    "flow \(k): records count \(pkts[k]) packets, fed \(fed[k]) (\(bad[k]) with bad checksums)")
            f.check(bytes[k] <= ipBytes[k] && bytes[k] >= ipBytes[k] - badIPBytes[k],
                    "flow \(k): records count \(bytes[k]) IP bytes, fed \(ipBytes[k]) (\(badIPBytes[k]) in bad-checksum packets)")
            f.check(udpBytes[k] <= udpPayload[k], "flow \(k): UDP bytes \(udpBytes[k]) > \(udpPayload[k]) payload fed")
        }
        return records.map { RecordDigest(uid: $0.uid, state: $0.connState, history: $0.history,
                                          packets: [$0.originatorPackets, $0.responderPackets], closeReason: $0.closeReason) }
    }
}
#else
struct CaptureSink {
    mutating func process(_ p: DecodedPacket, time: Int64, bytes: UnsafeRawBufferPointer) {}
    func finish(writers: Bool, _ f: inout FuzzFailures) {}
}

extension FuzzHarness {
    static func runAnalyzer(_ input: UnsafeRawBufferPointer, _ f: inout FuzzFailures) {}
}
#endif

// MARK: - JSON validation

/// A strict RFC 8259 syntax check (no allocation, no Foundation; UTF-8 is checked separately).
struct JSONValidator {
    let b: ArraySlice<UInt8>
    var i: Int

    static func isValidObject(_ bytes: ArraySlice<UInt8>) -> Bool {
        var v = JSONValidator(b: bytes, i: bytes.startIndex)
        v.ws()
        guard v.i < bytes.endIndex, bytes[v.i] == UInt8(ascii: "{"), v.value(depth: 0) else { return false }
        v.ws()
        return v.i == bytes.endIndex
    }

    mutating func ws() {
        while i < b.endIndex, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0a || b[i] == 0x0d { i += 1 }
    }

    mutating func eat(_ c: Unicode.Scalar) -> Bool {
        guard i < b.endIndex, b[i] == UInt8(ascii: c) else { return false }
        i += 1
        return true
    }

    mutating func value(depth: Int) -> Bool {
        ws()
        guard i < b.endIndex, depth < 64 else { return false }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1; ws()
            if eat("}") { return true }
            while true {
                ws()
                guard string() else { return false }
                ws()
                guard eat(":"), value(depth: depth + 1) else { return false }
                ws()
                if eat(",") { continue }
                return eat("}")
            }
        case UInt8(ascii: "["):
            i += 1; ws()
            if eat("]") { return true }
            while true {
                guard value(depth: depth + 1) else { return false }
                ws()
                if eat(",") { continue }
                return eat("]")
            }
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number()
        }
    }

    mutating func literal(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= b.endIndex else { return false }
        for k in 0..<n where b[i + k] != s.utf8Start[k] { return false }
        i += n
        return true
    }

    mutating func digits() -> Int {
        let start = i
        while i < b.endIndex, b[i] >= 0x30, b[i] <= 0x39 { i += 1 }
        return i - start
    }

    mutating func number() -> Bool {
        _ = eat("-")
        guard i < b.endIndex else { return false }
        if b[i] == 0x30 { i += 1 } else if digits() == 0 { return false }
        if eat(".") { guard digits() > 0 else { return false } }
        if eat("e") || eat("E") {
            if !eat("+") { _ = eat("-") }
            guard digits() > 0 else { return false }
        }
        return true
    }

    mutating func string() -> Bool {
        guard eat("\"") else { return false }
        while i < b.endIndex {
            let c = b[i]
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                return true
            case UInt8(ascii: "\\"):
                guard i < b.endIndex else { return false }
                let e = b[i]
                i += 1
                if e == UInt8(ascii: "u") {
                    guard i + 4 <= b.endIndex else { return false }
                    for k in 0..<4 {
                        let h = b[i + k]
                        guard (h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66) else { return false }
                    }
                    i += 4
                } else {
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                         UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"): break
                    default: return false
                    }
                }
            case 0..<0x20:
                return false
            default:
                break
            }
        }
        return false
    }
}

// MARK: - Regression test

#if !FUZZING
import Foundation
import Testing

/// Replays every file in Fixtures/fuzz/<target>/ (minimized inputs that once crashed or violated
/// an invariant, plus a few seeds) through the same harness the fuzz targets use.
@Suite struct FuzzRegressionTests {
    static let fixtures: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/fuzz")

    /// The regression inputs of `target`. A missing or empty folder throws: a replay that finds
    /// nothing to replay must fail, not pass.
    static func inputs(_ target: FuzzTarget) throws -> [URL] {
        let dir = fixtures.appendingPathComponent(target.fixtureDirectory)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        let files = names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { dir.appendingPathComponent($0) }
        guard !files.isEmpty else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: dir.path + " (no regression inputs)"])
        }
        return files
    }

    /// Files named `known-<issue>--<what>` reproduce a reported, unfixed bug: they run as a known issue
    /// (reported, not failing). Once the bug is fixed the known issue is no longer recorded, the
    /// test says so, and the file should be renamed without the `known-` prefix.
    @Test("fuzz regressions replay cleanly", arguments: FuzzTarget.allCases)
    func replay(_ target: FuzzTarget) throws {
        for url in try Self.inputs(target) {
            let bytes = [UInt8](try Data(contentsOf: url))
            let name = "\(target.rawValue)/\(url.lastPathComponent)"
            if url.lastPathComponent.hasPrefix("known-") {
                withKnownIssue(Comment(rawValue: name)) {
                    let failures = FuzzHarness.run(target, bytes)
                    #expect(failures.isEmpty, "\(name): \(failures.messages)")
                }
            } else {
                let failures = FuzzHarness.run(target, bytes)
                #expect(failures.isEmpty, "\(name): \(failures.messages)")
            }
        }
    }

    @Test func fixturesArePresent() {
        #expect(FileManager.default.fileExists(atPath: Self.fixtures.path), "missing \(Self.fixtures.path)")
    }
}
#endif
