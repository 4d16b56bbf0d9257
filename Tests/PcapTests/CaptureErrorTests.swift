import Testing
import Pcap

@Suite("CaptureError")
struct CaptureErrorTests {
    @Test("exit codes follow sysexits")
    func exitCodes() {
        let cases: [(CaptureError, Int32)] = [
            (.fileUnreadable(path: "a", reason: "r"), 66),
            (.notACaptureFile(path: "a", reason: "r"), 65),
            (.damaged(path: "a", reason: "r", packetsRead: 1), 65),
            (.badFilter(expression: "x", message: "m"), 64),
            (.deviceUnavailable(device: "d", message: "m"), 69),
            (.permissionDenied(device: "d", message: "m"), 77),
            (.captureFailed(message: "m"), 70),
            (.writeFailed(path: "a", reason: "r"), 73),
        ]
        for (error, code) in cases {
            #expect(error.exitCode == code, "\(error)")
        }
    }

    @Test("descriptions are one line naming the subject")
    func descriptions() {
        let damaged = CaptureError.damaged(
            path: "capture.pcap",
            reason: "truncated dump file; tried to read 1514 captured bytes, only got 200",
            packetsRead: 12)
        #expect(damaged.description
            == "sockeye: capture.pcap: truncated dump file; tried to read 1514 captured bytes, only got 200 (after 12 packets)")
        #expect(CaptureError.damaged(path: "f", reason: "r", packetsRead: 1).description == "sockeye: f: r (after 1 packet)")
        #expect(CaptureError.badFilter(expression: "udp and", message: "syntax error").description
            == "sockeye: invalid filter 'udp and': syntax error")
        #expect(CaptureError.deviceUnavailable(device: "eth9", message: "No such device exists").description
            == "sockeye: eth9: No such device exists")
    }
}
