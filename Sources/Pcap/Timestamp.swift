/// A packet capture time: seconds since the Unix epoch plus a nanosecond fraction.
///
/// ``CaptureFile`` and ``LiveCapture`` always deliver nanosecond timestamps: libpcap scales
/// microsecond files (magic `a1b2c3d4`) up by 1000 and keeps nanosecond files (`a1b23c4d`) and
/// pcapng `if_tsresol` values exact (see pcap_set_tstamp_precision(3PCAP)).
///
/// The value is always normalised: `nanoseconds < 1_000_000_000`.
@frozen
public struct Timestamp: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Whole seconds since 1970-01-01T00:00:00Z (may be negative for pre-epoch values).
    public var seconds: Int64
    /// The fraction of a second, `0 ..< 1_000_000_000`.
    public var nanoseconds: UInt32

    /// Creates a timestamp from seconds and a nanosecond fraction.
    ///
    /// A `nanoseconds` value of one second or more is carried into `seconds`, so the result is
    /// always normalised; this initialiser never traps.
    @inlinable
    public init(seconds: Int64, nanoseconds: UInt32 = 0) {
        if nanoseconds < 1_000_000_000 {
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        } else {
            self.seconds = seconds &+ Int64(nanoseconds / 1_000_000_000)
            self.nanoseconds = nanoseconds % 1_000_000_000
        }
    }

    /// Creates a timestamp from a C `timeval`-like pair whose fraction is `fraction × unit`
    /// nanoseconds, normalising out-of-range fractions (which crafted files can contain) without
    /// trapping.
    @inlinable
    internal init(seconds: Int64, fraction: Int, nanosecondsPerUnit: Int) {
        let nanos = fraction.multipliedReportingOverflow(by: nanosecondsPerUnit)
        if !nanos.overflow, nanos.partialValue >= 0, nanos.partialValue < 1_000_000_000 {
            self.seconds = seconds
            self.nanoseconds = UInt32(truncatingIfNeeded: nanos.partialValue)
        } else {
            self = Timestamp(slowSeconds: seconds, fraction: fraction, nanosecondsPerUnit: nanosecondsPerUnit)
        }
    }

    @usableFromInline
    internal init(slowSeconds seconds: Int64, fraction: Int, nanosecondsPerUnit: Int) {
        // Split the fraction into whole seconds first so nothing overflows.
        let unitsPerSecond = 1_000_000_000 / nanosecondsPerUnit
        var carry = fraction / unitsPerSecond
        var rest = fraction % unitsPerSecond
        if rest < 0 {
            rest += unitsPerSecond
            carry -= 1
        }
        self.seconds = seconds &+ Int64(carry)
        self.nanoseconds = UInt32(rest * nanosecondsPerUnit)
    }

    /// Nanoseconds since the epoch, saturating at `Int64.min`/`Int64.max` (about ±292 years
    /// around 1970) instead of trapping on absurd values from damaged files.
    @inlinable
    public var totalNanoseconds: Int64 {
        let scaled = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if scaled.overflow { return seconds < 0 ? .min : .max }
        let sum = scaled.partialValue.addingReportingOverflow(Int64(nanoseconds))
        return sum.overflow ? .max : sum.partialValue
    }

    /// Seconds since the epoch as a `Double` (microsecond-exact for present-day dates).
    @inlinable
    public var secondsSinceEpoch: Double {
        Double(seconds) + Double(nanoseconds) / 1e9
    }

    /// `self - other` in seconds (negative when `self` is earlier). Never traps.
    @inlinable
    public func seconds(since other: Timestamp) -> Double {
        let whole = seconds.subtractingReportingOverflow(other.seconds)
        let wholeSeconds = whole.overflow ? Double(seconds) - Double(other.seconds) : Double(whole.partialValue)
        return wholeSeconds + (Double(nanoseconds) - Double(other.nanoseconds)) / 1e9
    }

    @inlinable
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// `seconds.nnnnnnnnn`, e.g. `1700000000.000116000`.
    public var description: String {
        var fraction = String(nanoseconds)
        fraction = String(repeating: "0", count: 9 - fraction.count) + fraction
        return "\(seconds).\(fraction)"
    }
}
