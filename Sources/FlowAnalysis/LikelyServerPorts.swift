/// A set of ports (one bit each, 8 KiB) that are probably servers — Zeek's
/// `likely_server_ports`, which Zeek fills from the well-known ports its protocol analyzers
/// register (scripts/base/frameworks/analyzer/main.zeek; the per-analyzer `ports` sets in
/// scripts/base/protocols/*/main.zeek). It decides who the originator is when a flow's first
/// packet is not a plain SYN (TCP.cc `WantConnection`) and for every UDP flow (UDP.cc).
///
/// `zeekDefault` holds the ports of Zeek's default analyzers: FTP 21, SSH 22, Telnet 23,
/// SMTP 25/587, DNS 53, DHCP 67/68, TFTP 69, HTTP 80/81/631/1080/3128/8000/8080/8888, POP3 110/995,
/// NTP 123, NetBIOS 137/138/139, IMAP 143/993, SNMP 161/162, BGP 179, LDAP 389/636/3268,
/// HTTPS/QUIC 443, SMB 445, SMTPS 465, syslog 514, IPsec/IKE 500/4500, RDP 3389, MySQL 3306,
/// PostgreSQL 5432, SIP 5060/5061, mDNS 5353, LLMNR 5355, AMQP 5672, Redis 6379, IRC 6666-6669/6697,
/// OpenVPN 1194, RADIUS 1812/1813, SOCKS 1080, XMPP 5222/5269, MQTT 1883, Modbus 502, DNP3 20000,
/// Kerberos 88/750, NFS/portmapper 111/2049, Memcached 11211, SSL/TLS alternatives
/// 563/585/614/636/853/989/990/992/993/994/995/5223/8443, VXLAN 4789, Geneve 6081, Teredo 3544,
/// GTPv1 2123/2152, DTLS 443/4433, WireGuard 51820, STUN 3478.
public struct LikelyServerPorts: Sendable, Equatable {
    @usableFromInline var bits: [UInt64]

    public init<S: Sequence>(_ ports: S) where S.Element == UInt16 {
        bits = [UInt64](repeating: 0, count: 1024)
        for p in ports { insert(p) }
    }

    public mutating func insert(_ port: UInt16) {
        bits[Int(port >> 6)] |= 1 << UInt64(port & 63)
    }

    @inlinable
    public func contains(_ port: UInt16) -> Bool {
        bits[Int(port >> 6)] >> UInt64(port & 63) & 1 == 1
    }

    public static let zeekDefault = LikelyServerPorts([
        21, 22, 23, 25, 53, 67, 68, 69, 80, 81, 88, 110, 111, 123, 137, 138, 139, 143, 161, 162, 179,
        389, 443, 445, 465, 500, 502, 514, 563, 585, 587, 614, 631, 636, 750, 853, 989, 990, 992, 993,
        994, 995, 1080, 1194, 1812, 1813, 1883, 2049, 2123, 2152, 3128, 3268, 3306, 3389, 3478, 3544,
        4433, 4500, 4789, 5060, 5061, 5222, 5223, 5269, 5353, 5355, 5432, 5672, 6081, 6379, 6666,
        6667, 6668, 6669, 6697, 8000, 8080, 8443, 8888, 11211, 20000, 51820,
    ])
}
