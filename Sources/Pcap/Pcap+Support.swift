import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Small internal helpers shared by the libpcap wrappers. Nothing here is public.
enum PcapSupport {
    /// `PCAP_ERRBUF_SIZE` (256) — the size libpcap requires for every `errbuf` argument.
    static let errorBufferSize = Int(PCAP_ERRBUF_SIZE)

    /// Runs `body` with a zeroed, stack-allocated `errbuf` and returns its result together with
    /// whatever text libpcap left in the buffer.
    static func withErrorBuffer<R>(_ body: (UnsafeMutablePointer<CChar>) -> R) -> (result: R, message: String) {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: errorBufferSize) { buffer in
            buffer.initialize(repeating: 0)
            let result = body(buffer.baseAddress!)
            buffer[errorBufferSize - 1] = 0
            return (result, String(cString: buffer.baseAddress!))
        }
    }

    /// `pcap_geterr(3PCAP)` as a Swift string.
    static func lastError(_ handle: OpaquePointer) -> String {
        guard let message = pcap_geterr(handle) else { return "unknown libpcap error" }
        return String(cString: message)
    }

    /// `strerror(3)` as a Swift string.
    static func describe(errno code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    /// The fraction unit (in nanoseconds) for a handle's time stamp precision
    /// (pcap_get_tstamp_precision(3PCAP)): 1 for nanosecond precision, 1000 for microseconds.
    static func nanosecondsPerUnit(_ handle: OpaquePointer) -> Int {
        pcap_get_tstamp_precision(handle) == Int32(PCAP_TSTAMP_PRECISION_NANO) ? 1 : 1000
    }

    /// Removes a leading `"<prefix>: "` from a libpcap message that already names the file.
    static func stripping(prefix: String, from message: String) -> String {
        let lead = prefix + ": "
        return message.hasPrefix(lead) ? String(message.dropFirst(lead.count)) : message
    }
}

extension PacketRecord {
    /// Builds a record from a `pcap_next_ex(3PCAP)` header and data pointer.
    @inlinable @inline(__always)
    internal init(
        header: UnsafePointer<pcap_pkthdr>,
        data: UnsafePointer<UInt8>,
        linkType: Int32,
        nanosecondsPerUnit: Int
    ) {
        let timestamp = Timestamp(
            seconds: Int64(header.pointee.ts.tv_sec),
            fraction: Int(header.pointee.ts.tv_usec),
            nanosecondsPerUnit: nanosecondsPerUnit
        )
        self.init(
            timestamp: timestamp,
            wireLength: Int(header.pointee.len),
            linkType: linkType,
            bytes: UnsafeRawBufferPointer(start: data, count: Int(header.pointee.caplen))
        )
    }
}
