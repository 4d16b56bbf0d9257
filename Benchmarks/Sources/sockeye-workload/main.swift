// sockeye-workload — deterministic synthetic capture + ground-truth summary.
//
//   sockeye-workload --packets 1000000 --flows 20000 --seed 1 --out /tmp/sockeye-bench/medium.pcap
//   → medium.pcap and medium.pcap.json
import SockeyeWorkload

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

let usage = """
    usage: sockeye-workload --packets N --flows F [--seed S] --out PATH [--summary PATH]
                            [--udp-share 0.2] [--bad-share 0.001] [--arp-share 0.001]
                            [--udp-zero-share 0.05] [--rate 20000] [--vxlan VNI] [--quiet]

    Writes a classic pcap (LINKTYPE_ETHERNET, microsecond time stamps) of interleaved TCP/UDP
    flows built with Sockeye's encoder, and a ground-truth summary JSON (default PATH.json):
    flows, TCP outcomes (and the Zeek conn_state each should get), UDP kinds, bad checksum
    counts and frame numbers. Same arguments → byte-identical output. --vxlan wraps every
    TCP/UDP frame in VXLAN (UDP 4789, that VNI); the flows and the summary stay the same.
    """

func fail(_ message: String) -> Never {
    var err = message + "\n"
    err.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(64)
}

var packets: Int?
var flows: Int?
var seed: UInt64 = 1
var out: String?
var summary: String?
var quiet = false
var doubles: [String: Double] = [:]
var vxlanVNI: UInt32?

var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    func value() -> String {
        guard let v = args.popFirst() else { fail("sockeye-workload: \(arg) needs a value\n\n\(usage)") }
        return v
    }
    switch arg {
    case "--packets":
        guard let n = Int(value()) else { fail("sockeye-workload: --packets wants an integer") }
        packets = n
    case "--flows":
        guard let n = Int(value()) else { fail("sockeye-workload: --flows wants an integer") }
        flows = n
    case "--seed":
        guard let n = UInt64(value()) else { fail("sockeye-workload: --seed wants an unsigned integer") }
        seed = n
    case "--out", "-o": out = value()
    case "--summary": summary = value()
    case "--udp-share", "--bad-share", "--arp-share", "--udp-zero-share", "--rate":
        guard let d = Double(value()), d >= 0 else { fail("sockeye-workload: \(arg) wants a non-negative number") }
        doubles[arg] = d
    case "--vxlan":
        guard let n = UInt32(value()), n < 1 << 24 else { fail("sockeye-workload: --vxlan wants a VNI (0…16777215)") }
        vxlanVNI = n
    case "--quiet", "-q": quiet = true
    case "--help", "-h": print(usage); exit(0)
    default: fail("sockeye-workload: unknown argument \(arg)\n\n\(usage)")
    }
}
guard let packets, let flows, let out else { fail(usage) }

var parameters = WorkloadParameters(packets: packets, flows: flows, seed: seed)
if let v = doubles["--udp-share"] { parameters.udpShare = min(v, 1) }
if let v = doubles["--bad-share"] { parameters.badShare = min(v, 1) }
if let v = doubles["--arp-share"] { parameters.arpShare = min(v, 1) }
parameters.vxlanVNI = vxlanVNI
if let v = doubles["--udp-zero-share"] { parameters.udpZeroShare = min(v, 1) }
if let v = doubles["--rate"] { guard v > 0 else { fail("sockeye-workload: --rate must be positive") }; parameters.rate = v }

var clock = timespec()
clock_gettime(CLOCK_MONOTONIC, &clock)
let started = Double(clock.tv_sec) + Double(clock.tv_nsec) / 1e9

do {
    let generator = try WorkloadGenerator(parameters)
    let writer = try PcapFileWriter(path: out)
    var truth = generator.generate { micros, frame in writer.write(microseconds: micros, frame: frame) }
    try writer.close()
    truth.fileBytes = writer.bytesWritten
    let summaryPath = summary ?? out + ".json"
    let json = truth.json
    guard let f = fopen(summaryPath, "w") else { fail("sockeye-workload: cannot create \(summaryPath)") }
    fputs(json, f)
    fclose(f)
    clock_gettime(CLOCK_MONOTONIC, &clock)
    let elapsed = Double(clock.tv_sec) + Double(clock.tv_nsec) / 1e9 - started
    if !quiet {
        print("\(out): \(truth.packets) packets, \(truth.flows) flows (tcp \(truth.tcpFlows), udp \(truth.udpFlows)), "
              + "\(truth.fileBytes) bytes, bad checksums \(truth.badChecksumPackets), "
              + "max open flows \(truth.maxOpenFlows), \(String(format: elapsed)) s")
        print("\(summaryPath): ground truth")
    }
} catch {
    fail("sockeye-workload: \(error)")
}

func String(format seconds: Double) -> String {
    let ms = Int((seconds * 1000).rounded())
    let frac = String(ms % 1000)
    return "\(ms / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac)"
}
