import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A network interface libpcap can capture on (pcap_findalldevs(3PCAP)).
public struct CaptureDevice: Sendable, Hashable {
    /// Whether the interface is connected (`PCAP_IF_CONNECTION_STATUS`).
    public enum ConnectionStatus: Sendable, Hashable {
        case unknown
        case connected
        case disconnected
        /// The notion does not apply (e.g. loopback).
        case notApplicable
    }

    /// The name to pass to ``LiveCapture/init(interface:configuration:)``, e.g. `eth0`, `lo`, `any`.
    public var name: String
    /// A human-readable description, if libpcap has one.
    public var description: String?
    /// The interface's IPv4 and IPv6 addresses as text (`inet_ntop(3)`), in libpcap's order.
    public var addresses: [String]
    /// `PCAP_IF_UP`.
    public var isUp: Bool
    /// `PCAP_IF_RUNNING`.
    public var isRunning: Bool
    /// `PCAP_IF_LOOPBACK`.
    public var isLoopback: Bool
    /// `PCAP_IF_WIRELESS` (not necessarily Wi-Fi).
    public var isWireless: Bool
    /// Connection status from `PCAP_IF_CONNECTION_STATUS`.
    public var connectionStatus: ConnectionStatus
    /// The raw `PCAP_IF_*` flags.
    public var rawFlags: UInt32

    public init(
        name: String, description: String? = nil, addresses: [String] = [], rawFlags: UInt32 = 0
    ) {
        self.name = name
        self.description = description
        self.addresses = addresses
        self.rawFlags = rawFlags
        self.isUp = rawFlags & UInt32(PCAP_IF_UP) != 0
        self.isRunning = rawFlags & UInt32(PCAP_IF_RUNNING) != 0
        self.isLoopback = rawFlags & UInt32(PCAP_IF_LOOPBACK) != 0
        self.isWireless = rawFlags & UInt32(PCAP_IF_WIRELESS) != 0
        switch rawFlags & UInt32(PCAP_IF_CONNECTION_STATUS) {
        case UInt32(PCAP_IF_CONNECTION_STATUS_CONNECTED): self.connectionStatus = .connected
        case UInt32(PCAP_IF_CONNECTION_STATUS_DISCONNECTED): self.connectionStatus = .disconnected
        case UInt32(PCAP_IF_CONNECTION_STATUS_NOT_APPLICABLE): self.connectionStatus = .notApplicable
        default: self.connectionStatus = .unknown
        }
    }

    /// All devices libpcap can open, in its order (up/running interfaces first).
    ///
    /// An empty list is not an error: it usually means the process may not open any device.
    ///
    /// - Throws: ``CaptureError/captureFailed(message:)`` with the `pcap_findalldevs` errbuf text.
    public static func all() throws(CaptureError) -> [CaptureDevice] {
        var list: UnsafeMutablePointer<pcap_if_t>? = nil
        let (status, message) = PcapSupport.withErrorBuffer { errbuf in pcap_findalldevs(&list, errbuf) }
        guard status == 0 else {
            throw .captureFailed(message: "cannot list capture devices: \(message)")
        }
        defer { if let list { pcap_freealldevs(list) } }

        var devices: [CaptureDevice] = []
        var cursor = list
        while let entry = cursor {
            let device = entry.pointee
            var addresses: [String] = []
            var address = device.addresses
            while let node = address {
                if let text = Self.text(of: node.pointee.addr) { addresses.append(text) }
                address = node.pointee.next
            }
            devices.append(CaptureDevice(
                name: String(cString: device.name),
                description: device.description.map { String(cString: $0) },
                addresses: addresses,
                rawFlags: device.flags))
            cursor = device.next
        }
        return devices
    }

    /// `inet_ntop` for AF_INET / AF_INET6 socket addresses; `nil` for other families.
    private static func text(of address: UnsafeMutablePointer<sockaddr>?) -> String? {
        guard let address else { return nil }
        let family = Int32(address.pointee.sa_family)
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let converted: UnsafePointer<CChar>?
        switch family {
        case AF_INET:
            converted = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { ipv4 in
                withUnsafePointer(to: &ipv4.pointee.sin_addr) {
                    inet_ntop(AF_INET, $0, &buffer, socklen_t(buffer.count))
                }
            }
        case AF_INET6:
            converted = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { ipv6 in
                withUnsafePointer(to: &ipv6.pointee.sin6_addr) {
                    inet_ntop(AF_INET6, $0, &buffer, socklen_t(buffer.count))
                }
            }
        default:
            return nil
        }
        guard converted != nil else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
