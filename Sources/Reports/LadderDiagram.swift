import FlowAnalysis
import PacketCodec

/// A sequence ("ladder") diagram of one flow's packets: originator on the left, responder on
/// the right, one arrow per packet, labelled with its flags, sequence and acknowledgment numbers
/// (relative to each side's ISN, as Wireshark shows them), payload length, and its time relative
/// to the flow's first packet.
///
/// Three renderings:
/// - ``Format/text``: for a terminal,
///   ```
///   C4b1…  10.0.0.1:51514 → 10.0.0.2:80  tcp  (seq/ack relative to each side's ISN)
///
///        +ms  10.0.0.1:51514                                  10.0.0.2:80
///      0.000  |---------------------- SYN seq=0 ----------------------->|
///      0.213  |<------------------ SYN,ACK seq=0 ack=1 -----------------|
///      0.254  |------------------- ACK seq=1 ack=1 -------------------->|
///   ```
/// - ``Format/svg``: a standalone SVG image (open it in a browser);
/// - ``Format/mermaid``: a Mermaid `sequenceDiagram` (paste it into Markdown on GitHub).
///
/// The record must carry ``ConnectionRecord/events`` (the analyzer keeps them only when asked,
/// `sockeye analyze --ladder`). All text taken from the record is escaped for the target:
/// terminal-safe for text, XML-escaped for SVG, entity-coded for Mermaid.
public struct LadderDiagram {
    public enum Format: String, CaseIterable, Sendable {
        case text, svg, mermaid
    }

    /// One arrow.
    public struct Step: Equatable, Sendable {
        /// Nanoseconds since the flow's first packet.
        public var offset: Int64
        public var fromOriginator: Bool
        /// `SYN,ACK seq=0 ack=1 len=0 …`
        public var label: String
        /// RST (drawn as a cross / in red).
        public var isReset: Bool
        /// Bad checksum (drawn dashed).
        public var isSuspect: Bool
    }

    public let record: ConnectionRecord
    /// The arrows, in packet order.
    public let steps: [Step]

    public init(record: ConnectionRecord) {
        self.record = record
        self.steps = Self.makeSteps(record)
    }

    /// Renders the diagram in `format` into `output`.
    public func write(_ format: Format, to output: OutputBuffer) {
        switch format {
        case .text: writeText(output)
        case .svg: writeSVG(output)
        case .mermaid: writeMermaid(output)
        }
    }

    /// Renders the diagram in `format` as a String.
    public func render(_ format: Format) -> String {
        let b = OutputBuffer(fileDescriptor: nil)
        write(format, to: b)
        return b.text
    }

    // MARK: - Steps

    static func makeSteps(_ r: ConnectionRecord) -> [Step] {
        let origEvents = r.events.filter { $0.fromOriginator }
        let respEvents = r.events.filter { !$0.fromOriginator }
        let origBase = r.handshake?.originatorISN ?? origEvents.first?.sequenceNumber
        let respBase = r.handshake?.responderISN ?? respEvents.first?.sequenceNumber
        let start = r.events.first.map { min($0.time, r.startTime) } ?? r.startTime
        return r.events.map { e in
            var label: String
            if r.proto == .tcp {
                label = flagNames(e.flags)
                let ownBase = e.fromOriginator ? origBase : respBase
                let peerBase = e.fromOriginator ? respBase : origBase
                let seq = ownBase.map { e.sequenceNumber &- $0 } ?? e.sequenceNumber
                label += " seq=\(seq)"
                if e.flags.contains(.ack) {
                    let ack = peerBase.map { e.acknowledgmentNumber &- $0 } ?? e.acknowledgmentNumber
                    label += " ack=\(ack)"
                }
                if e.payloadLength > 0 { label += " len=\(e.payloadLength)" }
                if e.window == 0 && !e.flags.contains(.rst) { label += " win=0" }
            } else {
                label = "\(r.proto) len=\(e.payloadLength)"
            }
            if e.checksumStatus == .bad { label += " [bad checksum]" }
            return Step(offset: e.time - start, fromOriginator: e.fromOriginator, label: label,
                        isReset: e.flags.contains(.rst), isSuspect: e.checksumStatus == .bad)
        }
    }

    private static func milliseconds(_ ns: Int64) -> String {
        let b = OutputBuffer(fileDescriptor: nil)
        b.append(double: Double(ns) / 1e6, fractionDigits: 3)
        return b.text
    }

    private var origText: String { endpointText(record.originator) }
    private var respText: String { endpointText(record.responder) }

    // MARK: - Text

    private func writeText(_ o: OutputBuffer) {
        o.appendTerminalSafe("\(record.uid)  \(origText) → \(respText)  \(record.proto)")
        if record.proto == .tcp { o.append("  (seq/ack relative to each side's ISN)") }
        o.append("\n\n")
        guard !steps.isEmpty else {
            o.append("  (no packet events recorded for this flow)\n")
            return
        }
        let timeWidth = max(5, steps.map { Self.milliseconds($0.offset).count }.max()!)
        let labelWidth = steps.map { displayWidth(terminalSafe: $0.label) }.max()!
        let inner = max(40, labelWidth + 12, origText.count + respText.count + 4)   // between the bars

        o.append(repeating: UInt8(ascii: " "), count: 2 + timeWidth - 3); o.append("+ms  ")
        o.appendPadded(origText, width: inner + 2 - respText.count)
        o.appendTerminalSafe(respText); o.append("\n")
        for s in steps {
            let ms = Self.milliseconds(s.offset)
            o.append(repeating: UInt8(ascii: " "), count: 2 + timeWidth - ms.count); o.append(ms); o.append("  ")
            let text = " \(s.label) "
            let textWidth = displayWidth(terminalSafe: text)
            let dashes = inner - 1 - textWidth          // one column for the arrow head
            let left = dashes / 2, right = dashes - left
            let dash = UInt8(ascii: s.isSuspect ? "." : (s.isReset ? "=" : "-"))
            o.append(byte: UInt8(ascii: "|"))
            if s.fromOriginator {
                o.append(repeating: dash, count: left)
                o.appendTerminalSafe(text)
                o.append(repeating: dash, count: right)
                o.append(byte: UInt8(ascii: ">"))
            } else {
                o.append(byte: UInt8(ascii: "<"))
                o.append(repeating: dash, count: right)
                o.appendTerminalSafe(text)
                o.append(repeating: dash, count: left)
            }
            o.append("|\n")
        }
    }

    // MARK: - Mermaid

    /// Mermaid message text: `;` ends a statement and `#` starts an entity, so both (and any
    /// control or markup character) become `#NN;` entity codes.
    private static func mermaidSafe(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case ";", "#", "<", ">", "\"", "%", "{", "}":
                out += "#\(scalar.value);"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f || (scalar.value >= 0x80 && scalar.value < 0xa0) {
                    out += "#\(scalar.value);"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    private func writeMermaid(_ o: OutputBuffer) {
        o.append("sequenceDiagram\n")
        o.append("    title "); o.append(Self.mermaidSafe("\(record.uid) \(record.proto)")); o.append("\n")
        o.append("    participant O as "); o.append(Self.mermaidSafe("\(origText) (originator)")); o.append("\n")
        o.append("    participant R as "); o.append(Self.mermaidSafe("\(respText) (responder)")); o.append("\n")
        for s in steps {
            o.append(s.fromOriginator ? "    O" : "    R")
            o.append(s.isReset ? "-x" : (s.isSuspect ? "-->>" : "->>"))
            o.append(s.fromOriginator ? "R: " : "O: ")
            o.append(Self.mermaidSafe("+\(Self.milliseconds(s.offset)) ms \(s.label)"))
            o.append("\n")
        }
    }

    // MARK: - SVG

    /// XML character data: markup characters as entities; characters XML 1.0 forbids (C0
    /// controls other than tab/LF/CR, and DEL for good measure) as visible `\xNN`.
    private static func xmlSafe(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f || (scalar.value >= 0x80 && scalar.value < 0xa0) {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    private func writeSVG(_ o: OutputBuffer) {
        let charWidth = 7.2            // 12 px monospace
        let labelChars = steps.map { $0.label.count }.max() ?? 0
        let lane = max(360.0, Double(labelChars) * charWidth + 80)
        let timeChars = steps.map { Self.milliseconds($0.offset).count }.max() ?? 3
        let timeRight = 12 + Double(max(timeChars, 3)) * charWidth       // times are right-aligned here
        let origX = max(130.0, timeRight + 70), respX = origX + lane
        let top = 78.0, row = 34.0, slope = 10.0
        let width = respX + 130
        let height = top + Double(max(steps.count, 1)) * row + 30

        func n(_ v: Double) -> String {
            let b = OutputBuffer(fileDescriptor: nil)
            b.append(double: v, fractionDigits: 1)
            return b.text
        }
        o.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        o.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" ")
        o.append("viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"12\">\n")
        o.append("  <title>"); o.append(Self.xmlSafe("\(record.uid) \(origText) → \(respText)")); o.append("</title>\n")
        o.append("""
          <defs>
            <marker id="head-o" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#1f5fbf"/></marker>
            <marker id="head-r" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#2e7d32"/></marker>
            <marker id="head-x" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="#c62828"/></marker>
          </defs>
          <rect width="100%" height="100%" fill="white"/>

        """)
        o.append("  <text x=\"\(n(origX))\" y=\"24\" text-anchor=\"middle\" font-weight=\"bold\">"); o.append(Self.xmlSafe(origText)); o.append("</text>\n")
        o.append("  <text x=\"\(n(origX))\" y=\"40\" text-anchor=\"middle\" fill=\"#555\">originator</text>\n")
        o.append("  <text x=\"\(n(respX))\" y=\"24\" text-anchor=\"middle\" font-weight=\"bold\">"); o.append(Self.xmlSafe(respText)); o.append("</text>\n")
        o.append("  <text x=\"\(n(respX))\" y=\"40\" text-anchor=\"middle\" fill=\"#555\">responder</text>\n")
        o.append("  <text x=\"\(n(timeRight))\" y=\"40\" text-anchor=\"end\" fill=\"#555\">+ms</text>\n")
        let bottom = height - 14
        o.append("  <line x1=\"\(n(origX))\" y1=\"50\" x2=\"\(n(origX))\" y2=\"\(n(bottom))\" stroke=\"#999\" stroke-width=\"2\"/>\n")
        o.append("  <line x1=\"\(n(respX))\" y1=\"50\" x2=\"\(n(respX))\" y2=\"\(n(bottom))\" stroke=\"#999\" stroke-width=\"2\"/>\n")
        for (i, s) in steps.enumerated() {
            let y = top + Double(i) * row
            let (x1, x2) = s.fromOriginator ? (origX, respX) : (respX, origX)
            let color = s.isReset ? "#c62828" : (s.fromOriginator ? "#1f5fbf" : "#2e7d32")
            let marker = s.isReset ? "head-x" : (s.fromOriginator ? "head-o" : "head-r")
            o.append("  <g>\n")
            o.append("    <text x=\"\(n(timeRight))\" y=\"\(n(y + 4))\" text-anchor=\"end\" fill=\"#555\">\(Self.milliseconds(s.offset))</text>\n")
            o.append("    <line x1=\"\(n(x1))\" y1=\"\(n(y))\" x2=\"\(n(x2))\" y2=\"\(n(y + slope))\" stroke=\"\(color)\" stroke-width=\"1.5\" marker-end=\"url(#\(marker))\"")
            if s.isSuspect { o.append(" stroke-dasharray=\"5 3\"") }
            o.append("/>\n")
            o.append("    <text x=\"\(n((origX + respX) / 2))\" y=\"\(n(y - 2))\" text-anchor=\"middle\" fill=\"\(color)\">")
            o.append(Self.xmlSafe(s.label)); o.append("</text>\n")
            o.append("  </g>\n")
        }
        if steps.isEmpty {
            o.append("  <text x=\"\(n((origX + respX) / 2))\" y=\"\(n(top))\" text-anchor=\"middle\">no packet events recorded</text>\n")
        }
        o.append("</svg>\n")
    }
}
