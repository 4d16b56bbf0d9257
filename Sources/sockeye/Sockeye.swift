import ArgumentParser

@main
struct Sockeye: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sockeye", abstract: "Packet-header codec and pcap flow analyzer")
}
