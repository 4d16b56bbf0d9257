import ArgumentParser
import Pcap

/// `sockeye interfaces`: capture devices like `tcpdump -D`, with addresses and flags.
struct Interfaces: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List capture devices (like tcpdump -D).")

    func run() throws {
        let devices: [CaptureDevice]
        do {
            devices = try CaptureDevice.all()
        } catch {
            throw failure(reporting: error)
        }
        var lines: [String] = []
        for (n, d) in devices.enumerated() {
            var flags: [String] = []
            if d.isUp { flags.append("Up") }
            if d.isRunning { flags.append("Running") }
            if d.isLoopback { flags.append("Loopback") }
            if d.isWireless { flags.append("Wireless") }
            switch d.connectionStatus {
            case .connected: flags.append("Connected")
            case .disconnected: flags.append("Disconnected")
            default: break
            }
            var line = "\(n + 1).\(d.name)"
            if let text = d.description, !text.isEmpty { line += " (\(text))" }
            line += " [\(flags.joined(separator: ", "))]"
            if !d.addresses.isEmpty { line += " " + d.addresses.joined(separator: " ") }
            lines.append(line)
        }
        print(lines.joined(separator: "\n"))
    }
}
