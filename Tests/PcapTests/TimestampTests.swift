import Testing
import Pcap

@Suite("Timestamp")
struct TimestampTests {
    @Test("ordering follows seconds, then nanoseconds")
    func ordering() {
        let a = Timestamp(seconds: 10, nanoseconds: 999_999_999)
        let b = Timestamp(seconds: 11, nanoseconds: 0)
        let c = Timestamp(seconds: 11, nanoseconds: 1)
        #expect(a < b && b < c)
        #expect([c, a, b].sorted() == [a, b, c])
        #expect(Set([a, a, b]).count == 2)
    }

    @Test("init normalises an oversized fraction")
    func normalises() {
        let t = Timestamp(seconds: 5, nanoseconds: 3_000_000_007)
        #expect(t.seconds == 8 && t.nanoseconds == 7)
    }

    @Test("totalNanoseconds, and saturation instead of a trap")
    func totalNanoseconds() {
        #expect(Timestamp(seconds: 1_700_000_000, nanoseconds: 116_000).totalNanoseconds == 1_700_000_000_000_116_000)
        #expect(Timestamp(seconds: .max, nanoseconds: 0).totalNanoseconds == .max)
        #expect(Timestamp(seconds: .min, nanoseconds: 0).totalNanoseconds == .min)
    }

    @Test("differences in seconds")
    func differences() {
        let start = Timestamp(seconds: 1_700_000_000, nanoseconds: 900_000_000)
        let end = Timestamp(seconds: 1_700_000_002, nanoseconds: 100_000_000)
        #expect(abs(end.seconds(since: start) - 1.2) < 1e-9)
        #expect(abs(start.seconds(since: end) + 1.2) < 1e-9)
        #expect(Timestamp(seconds: .max).seconds(since: Timestamp(seconds: .min)) > 1e19)
    }

    @Test("description shows nine fraction digits")
    func description() {
        #expect(Timestamp(seconds: 1_700_000_000, nanoseconds: 116_000).description == "1700000000.000116000")
    }
}
