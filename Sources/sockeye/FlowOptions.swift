import ArgumentParser
import FlowAnalysis
import PacketCodec

/// The flow-tracking options `analyze` and `live` share (Zeek's defaults; `--no-checksums` is Zeek's `-C`).
struct FlowOptions: ParsableArguments {
    @Option(help: ArgumentHelp("TCP inactivity timeout in seconds (default 300, as Zeek).", valueName: "seconds"))
    var tcpTimeout: Double?

    @Option(help: ArgumentHelp("UDP inactivity timeout in seconds (default 60, as Zeek).", valueName: "seconds"))
    var udpTimeout: Double?

    @Option(help: "Most flows tracked at once; beyond it the least recently active flow is written early (evicted). Default 200000 (0.5-0.7 KB per TCP flow, 0.25 KB per UDP flow).")
    var maxFlows: Int?

    @Flag(help: "Do not verify IPv4, TCP and UDP checksums (Zeek's -C): keep packets whose checksums are wrong, e.g. captured on a host with checksum offload.")
    var noChecksums = false

    func validate() throws {
        if let t = tcpTimeout, !(t > 0 && t.isFinite) { throw ValidationError("--tcp-timeout must be a positive number of seconds") }
        if let t = udpTimeout, !(t > 0 && t.isFinite) { throw ValidationError("--udp-timeout must be a positive number of seconds") }
        if let m = maxFlows, m < 1 { throw ValidationError("--max-flows must be at least 1") }
    }

    var configuration: FlowConfiguration {
        var c = FlowConfiguration()
        if let t = tcpTimeout { c.tcpInactivityTimeout = Int64(min(t, 1e9) * 1e9) }
        if let t = udpTimeout { c.udpInactivityTimeout = Int64(min(t, 1e9) * 1e9) }
        if let m = maxFlows { c.maxFlows = m }
        c.verifyChecksums = !noChecksums
        return c
    }

    var decoder: PacketDecoder { PacketDecoder(verifyChecksums: !noChecksums) }
}
