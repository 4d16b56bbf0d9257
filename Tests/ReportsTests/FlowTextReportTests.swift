#if canImport(Glibc)
import Glibc
#endif
import Testing
import FlowAnalysis
import PacketCodec
@testable import Reports

@Suite struct FlowTextReportTests {
    let text = Samples.render(FlowTextReport.init, [Samples.udpFlow(), Samples.tcpConnection()])
    var lines: [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    @Test func summary() {
        #expect(lines[0] == "Sockeye flow report")
        #expect(lines.contains("  packets     12  (tcp 11  udp 1  other 0)"))
        #expect(lines.contains("  bytes       6.0 kB"))
        #expect(lines.contains("  time        2023-11-14 22:13:20.000116 → 2023-11-14 22:13:21.204116 UTC  (1.204 s)"))
        #expect(lines.contains("  flows       2  (tcp 1  udp 1)"))
        #expect(lines.contains("  conn_state  tcp SF 1   udp S0 1"))
        #expect(lines.contains("  handshakes  complete 1"))
        #expect(lines.contains("  teardowns   4-way 1"))
        #expect(lines.contains("  anomalies   retransmissions 2"))
    }

    @Test func tcpBlock() throws {
        let start = try #require(lines.firstIndex(of: "TCP connections (1)"))
        #expect(lines[start + 1] == "CHhAvVGS1DHFjwGM9  tcp  10.0.0.1:51514 → 10.0.0.2:80  SF  ShADadFf  1.204 s  orig 120 B / resp 5.1 kB")
        #expect(lines[start + 2] == "  handshake  complete  SYN → SYN-ACK 0.213 ms, SYN-ACK → ACK 0.041 ms  ISN 1694179788/3032912001  acks ✓")
        #expect(lines[start + 3] == "             client mss 1460 wscale 7 sackOK TS   server mss 1460 wscale 7 sackOK TS")
        #expect(lines[start + 4] == "  teardown   4-way, client closed first  FIN → ACK, FIN ← ACK  both FINs acked  (FIN at +1.150 s, FIN at +1.160 s)")
        #expect(lines[start + 5] == "  anomalies  server: retransmissions 2")
    }

    @Test func udpTable() throws {
        let start = try #require(lines.firstIndex(of: "UDP and other flows (1)"))
        let header = lines[start + 1]
        let row = lines[start + 2]
        #expect(header.hasPrefix("  uid                proto  originator          responder          state"))
        #expect(row.hasPrefix("  CdNs1ZHm2lLQ5O8Ly  udp    [2001:db8::1]:5353  [2001:db8::53]:53  S0"))
        // Columns line up.
        #expect(header.range(of: "state")?.lowerBound.utf16Offset(in: header) == row.range(of: "S0")?.lowerBound.utf16Offset(in: row))
    }

    @Test func sortedByStartTimeThenUID() {
        var a = Samples.udpFlow(); a.uid = "Cb"; a.startTime = Samples.t0
        var b = Samples.udpFlow(); b.uid = "Ca"; b.startTime = Samples.t0
        var c = Samples.udpFlow(); c.uid = "C0"; c.startTime = Samples.t0 + 1
        let text = Samples.render(FlowTextReport.init, [c, a, b])
        let ia = text.range(of: "  Ca ")!.lowerBound, ib = text.range(of: "  Cb ")!.lowerBound, ic = text.range(of: "  C0 ")!.lowerBound
        #expect(ia < ib && ib < ic)
    }

    @Test func otherHandshakeAndTeardownShapes() {
        var r = Samples.tcpConnection()
        r.handshake!.state = .synOnly
        r.handshake!.synRetransmissions = 2
        r.handshake!.valid = nil
        r.handshake!.responderISN = nil
        r.handshake!.responderOptions = nil
        r.teardown = TeardownReport()
        r.teardown!.kind = .rst
        r.teardown!.style = .abort
        r.teardown!.rstBy = .responder
        r.teardown!.rstTime = Samples.ms(2.5)
        r.closeReason = .timeout
        let text = Samples.render(FlowTextReport.init, [r])
        #expect(text.contains("  handshake  syn-only  SYN →, no SYN-ACK  ISN 1694179788/-  SYN retransmitted 2×\n"))
        #expect(text.contains("             client mss 1460 wscale 7 sackOK TS   server -\n"))
        #expect(text.contains("  teardown   abort, RST by server  RST ←  (RST at +2.500 ms)\n"))
        #expect(text.contains("  [timed out]\n"))

        var t = TeardownReport()
        t.kind = .fin; t.style = .threeWay; t.firstFIN = .originator
        t.originatorFIN = true; t.originatorFINAcked = true; t.responderFIN = true; t.responderFINAcked = true
        r.teardown = t
        #expect(Samples.render(FlowTextReport.init, [r]).contains("  teardown   3-way, client closed first  FIN →, FIN+ACK ←, ACK →  both FINs acked\n"))
        t.style = .simultaneous
        r.teardown = t
        #expect(Samples.render(FlowTextReport.init, [r]).contains("  teardown   simultaneous close  FIN → ← FIN (crossed)  both FINs acked\n"))
    }

    @Test func quietOmitsSummary() {
        let out = OutputBuffer(fileDescriptor: nil)
        let report = FlowTextReport(output: out)
        report.includesSummary = false
        report.write(Samples.tcpConnection())
        report.finish(summary: Samples.summary())
        #expect(out.text.hasPrefix("TCP connections (1)\nCHhAvVGS1DHFjwGM9  tcp"))
    }

    @Test func controlCharactersAreEscaped() {
        var r = Samples.tcpConnection()
        r.uid = "C\u{1b}]0;pwned\u{07}\n"
        r.history = "Sh\u{7f}"
        var u = Samples.udpFlow()
        u.uid = "C\u{1b}[2J"
        let text = Samples.render(FlowTextReport.init, [r, u])
        #expect(!text.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x07 || $0.value == 0x7f })
        #expect(text.contains("C\\x1b]0;pwned\\x07\\x0a  tcp"))
        #expect(text.contains("Sh\\x7f"))
        #expect(text.contains("C\\x1b[2J"))
    }

    @Test func c1ControlsAreEscapedAndOtherTextKept() {
        let out = OutputBuffer(fileDescriptor: nil)
        out.appendTerminalSafe("a\u{9b}31mb\u{85}é→")
        #expect(out.text == "a\\u{9b}31mb\\u{85}é→")
    }

    @Test func emptyInput() {
        let text = Samples.render(FlowTextReport.init, [], summary: AnalysisSummary())
        #expect(text.contains("  time        -\n"))
        #expect(text.contains("  flows       0  (-)\n"))
        #expect(!text.contains("TCP connections"))
    }

    @Test func humanUnits() {
        #expect(humanBytes(999) == "999 B")
        #expect(humanBytes(5100) == "5.1 kB")
        #expect(humanBytes(999_960) == "1.0 MB")
        #expect(humanDuration(seconds: 0.000213) == "0.213 ms")
        #expect(humanDuration(seconds: 12.5) == "12.500 s")
        #expect(humanDuration(seconds: 0.00000025) == "250 ns")
        #expect(humanDuration(seconds: 59.9994) == "59.999 s")
        #expect(humanDuration(seconds: 3 * 60 + 5) == "0:03:05")
        #expect(humanDuration(seconds: 96_970_194.886) == "1122d 08:09:55")
        #expect(grouped(1_234_567) == "1,234,567")
    }
}

@Suite("OutputBuffer streaming")
struct OutputBufferStreamingTests {
    @Test("integers and single bytes flush at the chunk size, so streamed TSV/CSV output stays bounded")
    func flushesOnEveryAppendKind() throws {
        let path = "/tmp/sockeye-outputbuffer-\(getpid())"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        defer { close(fd); unlink(path) }
        let out = OutputBuffer(fileDescriptor: fd, chunkSize: 256)
        var peak = 0
        for i in 0..<10_000 {
            out.append(int: i)
            out.append(byte: 9)
            peak = max(peak, out.bytes.count)
        }
        out.flush()
        #expect(peak < 256 + 32)
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_size > 40_000)
    }
}
