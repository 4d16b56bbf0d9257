import PacketCodec

/// The networks that count as local, as Zeek's `Site::local_nets` (base/utils/site.zeek): they
/// fill conn.log `local_orig` / `local_resp` with whether the originator / responder address is
/// inside one of them.
///
/// ```swift
/// let nets = try LocalNetworks(parsing: "10.0.0.0/8,192.168.0.0/16,fd00::/8")
/// nets.contains(IPAddress("10.1.2.3")!)   // true
/// ```
///
/// IPv4 networks are matched as IPv4-mapped IPv6 prefixes (`::ffff:a.b.c.d/96+n`), as Zeek
/// stores subnets, so `::ffff:0:0/96` (and `::/0`) holds every IPv4 address. Host bits below the prefix are
/// ignored (`10.1.2.3/8` is `10.0.0.0/8`, as Zeek normalizes a subnet literal); an address
/// without `/n` is one host (`/32`, `/128`).
public struct LocalNetworks: Sendable, Equatable {
    /// A network as a 128-bit prefix.
    public struct Network: Sendable, Equatable, CustomStringConvertible {
        public let high: UInt64
        public let low: UInt64
        /// Prefix length on the 128-bit (IPv4-mapped) form.
        public let length: Int
        let isIPv4: Bool

        public var description: String {
            if isIPv4 {
                return IPAddress(ipv4: UInt32(truncatingIfNeeded: low)).description + "/\(length - 96)"
            }
            return IPAddress(ipv6High: high, low: low).description + "/\(length)"
        }

        func contains(_ a: IPAddress) -> Bool {
            let (mh, ml) = Self.mask(length)
            return a.high & mh == high && a.low & ml == low
        }

        static func mask(_ length: Int) -> (UInt64, UInt64) {
            let hi: UInt64 = length <= 0 ? 0 : length >= 64 ? ~0 : ~0 << UInt64(64 - length)
            let lo: UInt64 = length <= 64 ? 0 : length >= 128 ? ~0 : ~0 << UInt64(128 - length)
            return (hi, lo)
        }
    }

    /// A CIDR that could not be read; `description` is the one-line reason.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let text: String
        public let reason: String
        public var description: String { "invalid CIDR '\(text)': \(reason)" }
    }

    public let networks: [Network]

    /// Parses a comma-separated list of CIDRs (`a.b.c.d/n`, `v6/n`, or a bare address). Spaces
    /// around entries are ignored; an empty entry, an unparsable address or a prefix length out
    /// of range (IPv4 0–32, IPv6 0–128) throws.
    public init(parsing list: String) throws(ParseError) {
        var nets: [Network] = []
        for raw in list.split(separator: ",", omittingEmptySubsequences: false) {
            let entry = raw.trimmingSpaces
            guard !entry.isEmpty else { throw ParseError(text: list, reason: "empty entry") }
            nets.append(try Self.network(entry))
        }
        networks = nets
    }

    public init(_ networks: [Network]) { self.networks = networks }

    /// Whether `address` is in one of the networks (Zeek `Site::is_local_addr`).
    public func contains(_ address: IPAddress) -> Bool {
        networks.contains { $0.contains(address) }
    }

    static func network(_ text: String) throws(ParseError) -> Network {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else {
            throw ParseError(text: text, reason: "not an IPv4 or IPv6 address with an optional /prefix length")
        }
        let maximum = address.isIPv4 ? 32 : 128
        var length = maximum
        if parts.count == 2 {
            guard let n = Int(parts[1]), parts[1].allSatisfy(\.isASCIIDigit), (0...maximum).contains(n) else {
                throw ParseError(text: text, reason: "prefix length must be 0–\(maximum)")
            }
            length = n
        }
        let full = address.isIPv4 ? 96 + length : length
        let (mh, ml) = Network.mask(full)
        return Network(high: address.high & mh, low: address.low & ml, length: full, isIPv4: address.isIPv4)
    }
}

private extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
