/// Zeek's `conn_state` decision (scripts/base/protocols/conn/main.zeek `conn_state()`), from the
/// final endpoint states, endpoint sizes and the history string.
enum ConnStateDecision {
    /// TCP (flow-semantics §1.2):
    /// ```
    /// resp RESET:  orig ∈ {SYN_SENT, SYN_ACK_SENT} or (orig RESET and both sizes 0) → REJ
    ///              inactive(orig) → RSTRH, else RSTR
    /// orig RESET:  inactive(resp) → (history =~ /^\^?S[^HAFGIQ]*R.*/ ? RSTOS0 : OTH), else RSTO
    /// both CLOSED → SF;  orig CLOSED → inactive(resp) ? SH : S2;  resp CLOSED → inactive(orig) ? SHR : S3
    /// orig SYN_SENT and resp INACTIVE → S0;  both ESTABLISHED → S1;  otherwise OTH
    /// ```
    /// where `inactive(x)` is INACTIVE or PARTIAL.
    static func tcp(orig: TCPEndpointState, resp: TCPEndpointState, origSize: UInt64, respSize: UInt64,
                    history: HistoryBuffer) -> ConnState {
        if resp == .reset {
            if orig == .synSent || orig == .synAckSent || (orig == .reset && origSize == 0 && respSize == 0) {
                return .REJ
            }
            return orig.isInactiveForConnState ? .RSTRH : .RSTR
        }
        if orig == .reset {
            if resp.isInactiveForConnState {
                return matchesRSTOS0(history) ? .RSTOS0 : .OTH
            }
            return .RSTO
        }
        if orig == .closed && resp == .closed { return .SF }
        if orig == .closed { return resp.isInactiveForConnState ? .SH : .S2 }
        if resp == .closed { return orig.isInactiveForConnState ? .SHR : .S3 }
        if orig == .synSent && resp == .inactive { return .S0 }
        if orig == .established && resp == .established { return .S1 }
        return .OTH
    }

    /// `/^\^?S[^HAFGIQ]*R.*/`
    static func matchesRSTOS0(_ h: HistoryBuffer) -> Bool {
        var i = 0
        let n = Int(h.count)
        if i < n && h.letter(at: i) == UInt8(ascii: "^") { i += 1 }
        guard i < n && h.letter(at: i) == UInt8(ascii: "S") else { return false }
        i += 1
        while i < n {
            let c = h.letter(at: i)
            if c == UInt8(ascii: "R") { return true }
            switch c {
            case UInt8(ascii: "H"), UInt8(ascii: "A"), UInt8(ascii: "F"), UInt8(ascii: "G"),
                 UInt8(ascii: "I"), UInt8(ascii: "Q"):
                return false
            default:
                i += 1
            }
        }
        return false
    }

    /// UDP: `orig active ? (resp active ? SF : S0) : (resp active ? SHR : OTH)`. ICMP and other
    /// protocols: always OTH.
    static func udp(origActive: Bool, respActive: Bool) -> ConnState {
        origActive ? (respActive ? .SF : .S0) : (respActive ? .SHR : .OTH)
    }
}
