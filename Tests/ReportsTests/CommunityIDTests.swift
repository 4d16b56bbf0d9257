import Foundation
import Testing
import FlowAnalysis
import PacketCodec
@testable import Reports

/// One flow tuple of the spec's baseline data; `ports == nil` for port-less protocols.
struct BaselineTuple: Sendable, CustomStringConvertible {
    let proto: UInt8
    let source: String
    let destination: String
    let ports: (UInt16, UInt16)?

    init(_ proto: UInt8, _ source: String, _ destination: String, _ ports: (UInt16, UInt16)?) {
        self.proto = proto
        self.source = source
        self.destination = destination
        self.ports = ports
    }

    var description: String { "[\(proto)] \(source)/\(ports?.0 ?? 0) → \(destination)/\(ports?.1 ?? 0)" }

    /// As the spec's tools compute it: ICMP/ICMPv6 ports are (type, code), mapped by the
    /// ICMP rules; everything else is hashed as given.
    func communityID(_ id: CommunityID) -> String {
        let s = IPAddress(source)!, d = IPAddress(destination)!
        if (proto == 1 || proto == 58), let (type, code) = ports {
            return id.icmp(type: UInt8(type), code: UInt8(code), v6: proto == 58, source: s, destination: d)
        }
        return id.hash(proto: proto, source: s, destination: d, ports: ports.map { (source: $0.0, destination: $0.1) })
    }
}

/// The Community ID against every vector the spec publishes (corelight/community-id-spec
/// `baseline/`): the three README tables (defaults, seed 1, no base64; made by make-tables.py
/// with pycommunityid) and the three `baseline_*.json` files (community-id-pcap over
/// `pcaps/combined.pcap.gz`). Expected strings are copied from the spec, not computed.
@Suite struct CommunityIDTests {
    static let sip4 = "1.2.3.4", dip4 = "5.6.7.8"
    static let sip6 = "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", dip6 = "fe80:1011:1213:1415:1617:1819:1A1B:1C1D"

    /// baseline/README.md tables, rows in order.
    static let tableTuples: [BaselineTuple] = [
        .init(6, sip4, dip4, (1122, 3344)), .init(6, dip4, sip4, (3344, 1122)),
        .init(17, sip4, dip4, (1122, 3344)), .init(17, dip4, sip4, (3344, 1122)),
        .init(132, sip4, dip4, (1122, 3344)), .init(132, dip4, sip4, (3344, 1122)),
        .init(1, sip4, dip4, (8, 0)), .init(1, dip4, sip4, (0, 0)), .init(1, sip4, dip4, (11, 0)),
        .init(58, sip6, dip6, (128, 0)), .init(58, dip6, sip6, (129, 0)), .init(58, sip6, dip6, (146, 0)),
        .init(46, sip4, dip4, nil), .init(46, dip4, sip4, nil),
        .init(46, sip6, dip6, nil), .init(46, dip6, sip6, nil),
    ]
    static let tableDefault = [
        "1:wCb3OG7yAFWelaUydu0D+125CLM=", "1:wCb3OG7yAFWelaUydu0D+125CLM=",
        "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=", "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=",
        "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=", "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=",
        "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=", "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=",
        "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=", "1:fYC8+pz24E+EhANP1EZhpX0Dw10=",
        "1:ikv3kmf89luf73WPz1jOs49S768=", "1:ikv3kmf89luf73WPz1jOs49S768=",
        "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=", "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=",
    ]
    static let tableSeed1 = [
        "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=", "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=",
        "1:OShq+iKDAMVouh/4bMxB9Sz4amw=", "1:OShq+iKDAMVouh/4bMxB9Sz4amw=",
        "1:uitchpn5MMGAQKBJh7bIr/bAr7s=", "1:uitchpn5MMGAQKBJh7bIr/bAr7s=",
        "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=", "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=", "1:1DD7cWGC/Yg91YGsQeni8du3pIA=",
        "1:IO27GQzPuCtNnwFvjWALMHu5tJE=", "1:IO27GQzPuCtNnwFvjWALMHu5tJE=", "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=",
        "1:/buhqeOmaRCopOZFy9HnoJd5XW8=", "1:/buhqeOmaRCopOZFy9HnoJd5XW8=",
        "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=", "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=",
    ]
    static let tableNoBase64 = [
        "1:c026f7386ef200559e95a53276ed03fb5db908b3", "1:c026f7386ef200559e95a53276ed03fb5db908b3",
        "1:d0cbbd227431eb3e1988264cffb1d78b658c84e8", "1:d0cbbd227431eb3e1988264cffb1d78b658c84e8",
        "1:10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f", "1:10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f",
        "1:72ba1d4472f6144b078dbbf752446b7dbb386d9d", "1:72ba1d4472f6144b078dbbf752446b7dbb386d9d",
        "1:7ff6224b25aa733ad381f5026650549ef1d170f9",
        "1:d1b7fb872309530b777cc103ef3f0b21f46905ea", "1:d1b7fb872309530b777cc103ef3f0b21f46905ea",
        "1:7d80bcfa9cf6e04f8484034fd44661a57d03c35d",
        "1:8a4bf79267fcf65b9fef758fcf58ceb38f52efaf", "1:8a4bf79267fcf65b9fef758fcf58ceb38f52efaf",
        "1:c10ff69b0ae75cfe259897077462f978f8d1f9ed", "1:c10ff69b0ae75cfe259897077462f978f8d1f9ed",
    ]

    /// baseline/baseline_{deflt,seed1,nob64}.json tuples, in file order (the same 23 in each).
    /// ICMP "ports" there are already Zeek-mapped (type, counterpart or code); mapping them again
    /// gives the same pair.
    static let jsonTuples: [BaselineTuple] = [
        .init(58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", (135, 136)),
        .init(58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", (136, 135)),
        .init(58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", (135, 136)),
        .init(58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", (136, 135)),
        .init(58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", (3, 0)),
        .init(58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", (1, 4)),
        .init(58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", (128, 129)),
        .init(58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", (129, 128)),
        .init(58, "fe80::200:86ff:fe05:80da", "ff02::2", (133, 134)),
        .init(58, "fe80::260:97ff:fe07:69ea", "ff02::1", (134, 133)),
        .init(1, "192.168.0.89", "192.168.0.1", (8, 0)),
        .init(1, "192.168.0.1", "192.168.0.89", (0, 8)),
        .init(1, "10.0.0.1", "10.0.0.2", (11, 0)),
        .init(6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", (63943, 25)),
        .init(6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", (25, 63943)),
        .init(132, "192.168.170.8", "192.168.170.56", (7, 7)),
        .init(132, "192.168.170.56", "192.168.170.8", (7, 7)),
        .init(6, "128.232.110.120", "66.35.250.204", (34855, 80)),
        .init(6, "66.35.250.204", "128.232.110.120", (80, 34855)),
        .init(17, "192.168.1.52", "8.8.8.8", (54585, 53)),
        .init(17, "8.8.8.8", "192.168.1.52", (53, 54585)),
        .init(46, "10.1.12.1", "10.1.12.2", nil),
        .init(46, "10.1.12.2", "10.1.12.1", nil),
    ]
    static let jsonDefault = [
        "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=", "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=",
        "1:zavyT/cezQr1fmImYCwYnMXbgck=", "1:zavyT/cezQr1fmImYCwYnMXbgck=",
        "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=", "1:hLZd0XGWojozrvxqE0dWB1iM6R0=",
        "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=",
        "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=", "1:pkvHqCL88/tg1k4cPigmZXUtL00=",
        "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", "1:YHxtAirCG//0OzkcVAukqKQN9xM=",
        "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=", "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
        "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=", "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
        "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
        "1:d/FP5EW3wiY1vCndhwleRRKHowQ=", "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
        "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=", "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=",
    ]
    static let jsonSeed1 = [
        "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=", "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=",
        "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=", "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=",
        "1:lVEtCZpYu84Xqaa++3lXFyuu2n4=", "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8=",
        "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=", "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=",
        "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8=", "1:K/ee5UCqAMAQXDorP5nSa2CGLjc=",
        "1:03g6IloqVBdcZlPyX8r0hgoE7kA=", "1:03g6IloqVBdcZlPyX8r0hgoE7kA=", "1:XjUibYHaafLQ3pxQeiMI8g25q20=",
        "1:eJYTW6AOzFLlSUoESovMjnu7rMw=", "1:eJYTW6AOzFLlSUoESovMjnu7rMw=",
        "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=", "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=",
        "1:3V71V58M3Ksw/yuFALMcW0LAHvc=", "1:3V71V58M3Ksw/yuFALMcW0LAHvc=",
        "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=", "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=",
        "1:rYir8gphR31noO9iDRQmF/BteEI=", "1:rYir8gphR31noO9iDRQmF/BteEI=",
    ]
    static let jsonNoBase64 = [
        "1:7461f21af8cc7e58e0e81a69c26ddb8342cef136", "1:7461f21af8cc7e58e0e81a69c26ddb8342cef136",
        "1:cdabf24ff71ecd0af57e6226602c189cc5db81c9", "1:cdabf24ff71ecd0af57e6226602c189cc5db81c9",
        "1:d8e6d5060227dbca19be26d866164c06087b59d4", "1:84b65dd17196a23a33aefc6a13475607588ce91d",
        "1:f935be1ed2c7bd5d719c6855d65bfb5e826ba908", "1:f935be1ed2c7bd5d719c6855d65bfb5e826ba908",
        "1:84efac3781fe306e4c63ff2122b5cfa9ce19433d", "1:a64bc7a822fcf3fb60d64e1c3e282665752d2f4d",
        "1:5f4b27617a60c22bfd4d9b6a83ae2c833527e839", "1:5f4b27617a60c22bfd4d9b6a83ae2c833527e839",
        "1:607c6d022ac21bfff43b391c540ba4a8a40df713",
        "1:fea15a78047e8057b52988cccd50ec32ffb0814e", "1:fea15a78047e8057b52988cccd50ec32ffb0814e",
        "1:30fd84b5108050866f4f0e8cc491cb57b37b243b", "1:30fd84b5108050866f4f0e8cc491cb57b37b243b",
        "1:2d053da9994af81e45dca0e67afea6e4f3226eb8", "1:2d053da9994af81e45dca0e67afea6e4f3226eb8",
        "1:77f14fe445b7c22635bc29dd87095e451287a304", "1:77f14fe445b7c22635bc29dd87095e451287a304",
        "1:28794b920a095bb89f513c934a0c957e4147ccac", "1:28794b920a095bb89f513c934a0c957e4147ccac",
    ]

    static func check(_ tuples: [BaselineTuple], _ expected: [String], _ id: CommunityID) {
        #expect(tuples.count == expected.count)
        for (t, e) in zip(tuples, expected) {
            #expect(t.communityID(id) == e, "\(t) with seed \(id.seed), base64 \(id.base64)")
        }
    }

    @Test("README tables: defaults, seed 1, no base64 (16 rows each)")
    func readmeTables() {
        #expect(Self.tableTuples.count == 16)
        Self.check(Self.tableTuples, Self.tableDefault, CommunityID())
        Self.check(Self.tableTuples, Self.tableSeed1, CommunityID(seed: 1))
        Self.check(Self.tableTuples, Self.tableNoBase64, CommunityID(base64: false))
    }

    @Test("baseline_deflt.json, baseline_seed1.json, baseline_nob64.json (23 flows each)")
    func baselineJSON() {
        #expect(Self.jsonTuples.count == 23)
        Self.check(Self.jsonTuples, Self.jsonDefault, CommunityID())
        Self.check(Self.jsonTuples, Self.jsonSeed1, CommunityID(seed: 1))
        Self.check(Self.jsonTuples, Self.jsonNoBase64, CommunityID(base64: false))
    }

    @Test("the spec's example value is the README's IPv6 router solicitation")
    func specExample() {
        // README "Technical details": `1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=` (baseline_deflt.json row 9).
        let id = CommunityID().icmp(type: 133, code: 0, v6: true, source: IPAddress("fe80::200:86ff:fe05:80da")!,
                                    destination: IPAddress("ff02::2")!)
        #expect(id == "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=")
    }

    @Test("base64 and hex forms are the same digest")
    func renderForms() throws {
        for (b64, hex) in zip(Self.jsonDefault, Self.jsonNoBase64) {
            let bytes = try #require(Data(base64Encoded: String(b64.dropFirst(2))))
            #expect(bytes.count == 20)
            #expect("1:" + bytes.map { String(format: "%02x", $0) }.joined() == hex)
        }
    }

    @Test("one-way ICMP keeps its direction; two-way ICMP does not")
    func icmpDirection() {
        let a = IPAddress("10.0.0.1")!, b = IPAddress("10.0.0.2")!
        let id = CommunityID()
        // Destination unreachable (3/1) is one-way: the reverse direction is another flow.
        #expect(id.icmp(type: 3, code: 1, v6: false, source: a, destination: b)
                != id.icmp(type: 3, code: 1, v6: false, source: b, destination: a))
        // Echo request and its reply are one flow.
        #expect(id.icmp(type: 8, code: 0, v6: false, source: a, destination: b)
                == id.icmp(type: 0, code: 0, v6: false, source: b, destination: a))
        // The code of a two-way message does not matter (its port is the counterpart type).
        #expect(id.icmp(type: 8, code: 5, v6: false, source: a, destination: b)
                == id.icmp(type: 8, code: 0, v6: false, source: a, destination: b))
    }

    @Test("records: TCP/UDP 5-tuple, ICMP from Zeek's ports, SCTP left out, port-less protocols")
    func records() {
        let id = CommunityID()
        var r = Samples.udpFlow()
        r.originator = Endpoint(address: IPAddress("8.8.8.8")!, port: 53)
        r.responder = Endpoint(address: IPAddress("192.168.1.52")!, port: 54585)
        #expect(id.hash(r) == "1:d/FP5EW3wiY1vCndhwleRRKHowQ=")
        // ICMP echo reply seen first: Sockeye's record has ports (0, 8), as Zeek's.
        r.proto = .icmp; r.ipProtocol = 1
        r.originator = Endpoint(address: IPAddress("192.168.0.1")!, port: 0)
        r.responder = Endpoint(address: IPAddress("192.168.0.89")!, port: 8)
        #expect(id.hash(r) == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=")
        // ICMPv6 destination unreachable code 4 (one-way: port = code).
        r.ipProtocol = 58
        r.originator = Endpoint(address: IPAddress("3ffe:501:410:0:2c0:dfff:fe47:33e")!, port: 1)
        r.responder = Endpoint(address: IPAddress("3ffe:507:0:1:200:86ff:fe05:80da")!, port: 4)
        #expect(id.hash(r) == "1:hLZd0XGWojozrvxqE0dWB1iM6R0=")
        // ICMPv6 146: Zeek pairs it with 147, the spec does not (README table, code 0).
        r.originator = Endpoint(address: IPAddress(Self.sip6)!, port: 146)
        r.responder = Endpoint(address: IPAddress(Self.dip6)!, port: 147)
        #expect(id.hash(r) == "1:fYC8+pz24E+EhANP1EZhpX0Dw10=")
        r.proto = .other(46); r.ipProtocol = 46
        r.originator = Endpoint(address: IPAddress("10.1.12.2")!, port: 0)
        r.responder = Endpoint(address: IPAddress("10.1.12.1")!, port: 0)
        #expect(id.hash(r) == "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=")
        r.proto = .other(132); r.ipProtocol = 132
        #expect(id.hash(r) == nil)
    }
}
