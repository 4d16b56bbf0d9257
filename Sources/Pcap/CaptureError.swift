/// Everything that can go wrong while opening, reading, filtering, writing or capturing packets.
///
/// Each case carries the text libpcap (or the C library) reported, so ``description`` reads like
/// a tcpdump diagnostic, and maps to a sysexits(3) code through ``exitCode``:
///
/// | case | exit code | typical cause |
/// |---|---|---|
/// | ``fileUnreadable(path:reason:)`` | 66 (`EX_NOINPUT`) | missing file, no permission, a directory |
/// | ``notACaptureFile(path:reason:)`` | 65 (`EX_DATAERR`) | empty file, short header, unknown magic |
/// | ``damaged(path:reason:packetsRead:)`` | 65 (`EX_DATAERR`) | truncated record, absurd caplen, bad pcapng block |
/// | ``badFilter(expression:message:)`` | 64 (`EX_USAGE`) | a BPF expression `pcap_compile` rejects |
/// | ``deviceUnavailable(device:message:)`` | 69 (`EX_UNAVAILABLE`) | no such interface, interface down |
/// | ``permissionDenied(device:message:)`` | 77 (`EX_NOPERM`) | capturing without `CAP_NET_RAW` |
/// | ``captureFailed(message:)`` | 70 (`EX_SOFTWARE`) | any other libpcap failure |
/// | ``writeFailed(path:reason:)`` | 73 (`EX_CANTCREAT`) | the output capture cannot be created or written |
///
/// ```swift
/// do {
///     let file = try CaptureFile(path: "capture.pcap")
///     try file.forEachPacket { record in … }
/// } catch let error as CaptureError {
///     print(error)            // sockeye: capture.pcap: truncated dump file; … (after 12 packets)
///     exit(error.exitCode)    // 65
/// }
/// ```
public enum CaptureError: Error, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The file could not be opened or read at all: it does not exist, permission is denied, or
    /// it is a directory. `reason` is `strerror(errno)` text. Exit code 66.
    case fileUnreadable(path: String, reason: String)

    /// The file opened but is not a pcap or pcapng capture: it is empty, shorter than a file
    /// header, or has an unknown magic number / unsupported version. `reason` is libpcap's
    /// `pcap_fopen_offline(3PCAP)` message. Exit code 65.
    case notACaptureFile(path: String, reason: String)

    /// The file is a capture but is damaged after its header (truncated record, impossible
    /// captured length, malformed pcapng block). The `packetsRead` packets before the damage
    /// *were* delivered. `reason` is `pcap_geterr(3PCAP)` text. Exit code 65.
    case damaged(path: String, reason: String, packetsRead: Int)

    /// `pcap_compile(3PCAP)` rejected the BPF expression; `message` is its text. Exit code 64.
    case badFilter(expression: String, message: String)

    /// The capture device does not exist, is not up, or cannot capture. Exit code 69.
    case deviceUnavailable(device: String, message: String)

    /// The process lacks the privileges to capture on the device. Exit code 77.
    case permissionDenied(device: String, message: String)

    /// Any other libpcap failure (`pcap_next_ex` error on a live handle, `pcap_findalldevs`
    /// failure, out of memory). Exit code 70.
    case captureFailed(message: String)

    /// An output capture file could not be created, written, flushed or closed. Exit code 73.
    case writeFailed(path: String, reason: String)

    /// The sysexits(3) code a command-line tool should exit with for this error.
    public var exitCode: Int32 {
        switch self {
        case .fileUnreadable: return 66
        case .notACaptureFile, .damaged: return 65
        case .badFilter: return 64
        case .deviceUnavailable: return 69
        case .permissionDenied: return 77
        case .captureFailed: return 70
        case .writeFailed: return 73
        }
    }

    /// One line naming the file or device and the problem, prefixed with `sockeye: `.
    public var description: String {
        switch self {
        case let .fileUnreadable(path, reason):
            return "sockeye: \(path): \(reason)"
        case let .notACaptureFile(path, reason):
            return "sockeye: \(path): not a pcap or pcapng capture file: \(reason)"
        case let .damaged(path, reason, packetsRead):
            let noun = packetsRead == 1 ? "packet" : "packets"
            return "sockeye: \(path): \(reason) (after \(packetsRead) \(noun))"
        case let .badFilter(expression, message):
            return "sockeye: invalid filter '\(expression)': \(message)"
        case let .deviceUnavailable(device, message):
            return "sockeye: \(device): \(message)"
        case let .permissionDenied(device, message):
            return "sockeye: \(device): \(message)"
        case let .captureFailed(message):
            return "sockeye: \(message)"
        case let .writeFailed(path, reason):
            return "sockeye: \(path): \(reason)"
        }
    }
}
