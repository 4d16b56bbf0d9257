import CPcap

/// A compiled BPF program (pcap-filter(7)).
///
/// Filters given to ``CaptureFile`` and ``LiveCapture`` are compiled with
/// `pcap_compile(3PCAP)` (optimizer on, netmask `PCAP_NETMASK_UNKNOWN`) and installed with
/// `pcap_setfilter(3PCAP)`, so they run inside libpcap's read loop (or the kernel, live) and
/// rejected packets never reach Swift. Use this type directly to check an expression before
/// opening anything, or to test individual packets with `pcap_offline_filter(3PCAP)`:
///
/// ```swift
/// try PacketFilter.validate(expression: "tcp port 80")          // throws .badFilter
/// let filter = try PacketFilter(expression: "udp", linkType: 1)
/// if filter.matches(record) { … }
/// ```
///
/// A compiled program is immutable and `pcap_offline_filter` only reads it, so the type is
/// `Sendable`.
public final class PacketFilter: @unchecked Sendable {
    /// Linux's and most captures' default maximum snapshot length.
    public static let defaultSnapshotLength = 262_144

    /// The expression this program was compiled from.
    public let expression: String
    /// The link type the program was compiled for.
    public let linkType: Int32
    /// The compiled program; owned, freed with `pcap_freecode` in `deinit`.
    private let program: UnsafeMutablePointer<bpf_program>

    /// Compiles `expression` for packets of the given link type.
    ///
    /// - Parameters:
    ///   - expression: a pcap-filter(7) expression; an empty string matches everything.
    ///   - linkType: the raw `DLT_*` value (1 = Ethernet) the packets will have.
    ///   - snaplen: the snapshot length the packets were captured with.
    /// - Throws: ``CaptureError/badFilter(expression:message:)`` with `pcap_geterr` text.
    public init(expression: String, linkType: Int32 = 1, snaplen: Int = PacketFilter.defaultSnapshotLength) throws(CaptureError) {
        let program = UnsafeMutablePointer<bpf_program>.allocate(capacity: 1)
        program.initialize(to: bpf_program())
        let failure: CaptureError? = Self.withDeadHandle(linkType: linkType, snaplen: snaplen) { handle in
            Self.compile(expression, on: handle, into: program)
        }
        if let failure {
            program.deallocate()
            throw failure
        }
        self.expression = expression
        self.linkType = linkType
        self.program = program
    }

    deinit {
        pcap_freecode(program)
        program.deallocate()
    }

    /// Checks that `expression` compiles for the given link type, without any file or device.
    ///
    /// - Throws: ``CaptureError/badFilter(expression:message:)`` with `pcap_geterr` text, e.g.
    ///   `syntax error` or `port 99999 is out of range`.
    public static func validate(expression: String, linkType: Int32 = 1, snaplen: Int = defaultSnapshotLength) throws(CaptureError) {
        let failure: CaptureError? = withDeadHandle(linkType: linkType, snaplen: snaplen) { handle in
            var program = bpf_program()
            if let failure = compile(expression, on: handle, into: &program) { return failure }
            pcap_freecode(&program)
            return nil
        }
        if let failure { throw failure }
    }

    /// Whether a packet with these bytes and wire length passes the filter.
    public func matches(bytes: UnsafeRawBufferPointer, wireLength: Int? = nil) -> Bool {
        var header = pcap_pkthdr()
        header.caplen = UInt32(clamping: bytes.count)
        header.len = UInt32(clamping: max(wireLength ?? bytes.count, bytes.count))
        guard let base = bytes.baseAddress else {
            // An empty packet: libpcap still wants a valid pointer.
            var empty: UInt8 = 0
            return pcap_offline_filter(program, &header, &empty) != 0
        }
        return pcap_offline_filter(program, &header, base.assumingMemoryBound(to: UInt8.self)) != 0
    }

    /// Whether `record` passes the filter (pcap_offline_filter(3PCAP)).
    public func matches(_ record: borrowing PacketRecord) -> Bool {
        matches(bytes: record.bytes, wireLength: record.wireLength)
    }

    // MARK: - Internals

    /// Compiles and installs `expression` on an open handle (`pcap_setfilter`).
    static func install(_ expression: String, on handle: OpaquePointer) throws(CaptureError) {
        var program = bpf_program()
        if let failure = compile(expression, on: handle, into: &program) { throw failure }
        defer { pcap_freecode(&program) }
        if pcap_setfilter(handle, &program) != 0 {
            throw .badFilter(expression: expression, message: PcapSupport.lastError(handle))
        }
    }

    /// `pcap_compile` with optimisation on and an unknown netmask; returns the error, if any.
    private static func compile(
        _ expression: String, on handle: OpaquePointer, into program: UnsafeMutablePointer<bpf_program>
    ) -> CaptureError? {
        if pcap_compile(handle, program, expression, 1, PCAP_NETMASK_UNKNOWN) != 0 {
            return .badFilter(expression: expression, message: PcapSupport.lastError(handle))
        }
        return nil
    }

    /// Runs `body` with a `pcap_open_dead(3PCAP)` handle, which `pcap_compile` needs.
    private static func withDeadHandle(
        linkType: Int32, snaplen: Int, _ body: (OpaquePointer) -> CaptureError?
    ) -> CaptureError? {
        guard let handle = pcap_open_dead(linkType, Int32(clamping: snaplen)) else {
            return .captureFailed(message: "pcap_open_dead failed (out of memory)")
        }
        defer { pcap_close(handle) }
        return body(handle)
    }
}
