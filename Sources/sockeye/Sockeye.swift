import ArgumentParser

/// The `sockeye` command-line tool: thin wrappers over Pcap → PacketCodec → FlowAnalysis → Reports.
@main
struct Sockeye: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sockeye",
        abstract: "Packet-header codec and pcap flow analyzer: TCP handshakes, teardowns and Zeek-style conn records.",
        discussion: """
            Exit codes (sysexits): 0 success, 64 usage or bad filter, 65 input damaged (results up to \
            the damage were written), 66 input missing or unreadable, 69 capture device unavailable, \
            77 permission denied.
            """,
        subcommands: [Analyze.self, Packets.self, Live.self, Interfaces.self],
        defaultSubcommand: nil
    )
}
