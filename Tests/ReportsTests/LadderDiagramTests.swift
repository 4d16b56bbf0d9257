import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import FlowAnalysis
import PacketCodec
@testable import Reports

@Suite struct LadderDiagramTests {
    let ladder = LadderDiagram(record: Samples.tcpConnection())

    @Test func stepsUseRelativeSequenceNumbers() {
        let labels = ladder.steps.map(\.label)
        #expect(labels == [
            "SYN seq=0",
            "SYN,ACK seq=0 ack=1",
            "ACK seq=1 ack=1",
            "PSH,ACK seq=1 ack=1 len=120",
            "PSH,ACK seq=1 ack=121 len=5100 [bad checksum]",
            "FIN,ACK seq=121 ack=5101",
            "ACK seq=5101 ack=122",
            "FIN,ACK seq=5101 ack=122",
            "ACK seq=122 ack=5102",
        ])
        #expect(ladder.steps.map(\.fromOriginator) == [true, false, true, true, false, true, false, false, true])
        #expect(ladder.steps[1].offset == 213_000)
    }

    @Test func text() {
        let text = ladder.render(.text)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "CHhAvVGS1DHFjwGM9  10.0.0.1:51514 → 10.0.0.2:80  tcp  (seq/ack relative to each side's ISN)")
        #expect(lines[1].hasPrefix("       +ms  10.0.0.1:51514"))
                #expect(lines[1].hasSuffix("10.0.0.2:80"))
        let arrows = Array(lines.dropFirst(2))
        #expect(arrows.count == 9)
        #expect(arrows[0].hasPrefix("     0.000  |"))
        #expect(arrows[0].contains("|---") && arrows[0].contains(" SYN seq=0 ") && arrows[0].hasSuffix("->|"))
        #expect(arrows[1].hasPrefix("     0.213  |<"))
        #expect(arrows[1].contains("|<--") && arrows[1].contains(" SYN,ACK seq=0 ack=1 ") && arrows[1].hasSuffix("-|"))
        #expect(arrows[4].contains("|<..") && arrows[4].contains("[bad checksum]"))   // dotted: suspect
        #expect(arrows[8].hasPrefix("  1204.000  |-"))
        // Every arrow spans the same columns: the right bar of each line lines up with the header's end.
        let widths = Set(arrows.map { $0.count })
        #expect(widths.count == 1)
        #expect(lines[1].count == arrows[0].count)
    }

    @Test func mermaid() {
        let m = ladder.render(.mermaid)
        let lines = m.split(separator: "\n").map(String.init)
        #expect(lines[0] == "sequenceDiagram")
        #expect(lines.contains("    participant O as 10.0.0.1:51514 (originator)"))
        #expect(lines.contains("    participant R as 10.0.0.2:80 (responder)"))
        #expect(lines.contains("    O->>R: +0.000 ms SYN seq=0"))
        #expect(lines.contains("    R->>O: +0.213 ms SYN,ACK seq=0 ack=1"))
        #expect(lines.contains("    O->>R: +0.254 ms ACK seq=1 ack=1"))
        #expect(lines.contains("    R-->>O: +10.500 ms PSH,ACK seq=1 ack=121 len=5100 [bad checksum]"))
        #expect(lines.contains("    O->>R: +1150.000 ms FIN,ACK seq=121 ack=5101"))
        #expect(lines.filter { $0.contains("->>") }.count == 9)
    }

    @Test func mermaidResetAndEscaping() {
        var r = Samples.tcpConnection()
        r.uid = "C;#<x>"
        r.events = [PacketEvent(time: Samples.t0, fromOriginator: false, flags: [.rst, .ack], sequenceNumber: 1,
                                acknowledgmentNumber: 2, payloadLength: 0, window: 0, checksumStatus: .good)]
        let m = LadderDiagram(record: r).render(.mermaid)
        #expect(m.contains("    title C#59;#35;#60;x#62; tcp\n"))
        #expect(m.contains("    R-xO: +0.000 ms RST,ACK seq="))
    }

    final class XMLCheck: NSObject, XMLParserDelegate {
        var elements: [String] = []
        var texts: [String] = []
        var lines = 0
        var current = ""
        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes: [String: String] = [:]) {
            elements.append(elementName)
            if elementName == "line" { lines += 1 }
            current = ""
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }
        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?) {
            let t = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !t.isEmpty { texts.append(t) }
            current = ""
        }
    }

    func parseSVG(_ svg: String) -> (ok: Bool, check: XMLCheck) {
        let parser = XMLParser(data: Data(svg.utf8))
        let check = XMLCheck()
        parser.delegate = check
        return (parser.parse(), check)
    }

    @Test func svgIsWellFormed() {
        let svg = ladder.render(.svg)
        #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""))
        let (ok, check) = parseSVG(svg)
        #expect(ok)
        #expect(check.elements.first == "svg")
        #expect(check.lines == 2 + 9)                 // two lifelines, nine arrows
        #expect(check.texts.contains("10.0.0.1:51514"))
        #expect(check.texts.contains("10.0.0.2:80"))
        #expect(check.texts.contains("SYN,ACK seq=0 ack=1"))
        #expect(check.texts.contains("0.213"))
    }

    @Test func svgEscapesMarkupAndControlCharacters() {
        var r = Samples.tcpConnection()
        r.uid = "C<&>\"'\u{1b}\u{0}"
        let svg = LadderDiagram(record: r).render(.svg)
        let (ok, check) = parseSVG(svg)
        #expect(ok)
        #expect(check.texts.contains { $0.hasPrefix("C<&>\"'\\x1b\\x00") })
    }

    @Test func noEvents() {
        var r = Samples.tcpConnection()
        r.events = []
        let l = LadderDiagram(record: r)
        #expect(l.render(.text).contains("(no packet events recorded for this flow)"))
        #expect(parseSVG(l.render(.svg)).ok)
        #expect(l.render(.mermaid).hasPrefix("sequenceDiagram\n"))
    }
}
