import FlowAnalysis

/// Something that renders flow records as they are produced.
///
/// The analyze pipeline drives every writer the same way:
///
/// ```swift
/// writer.begin(firstPacketTime: firstTime)   // once, before the first record (nil: no packets)
/// writer.write(record)                       // once per flow, in the order flows end
/// writer.finish(summary: analyzer.summary)   // once, also after damaged input
/// ```
///
/// A writer that is given a record before `begin` begins by itself (using the record's start
/// time), so `begin` is optional for simple uses. Writers append to an ``OutputBuffer`` and
/// never flush it themselves except in `finish`.
public protocol FlowRecordWriter: AnyObject {
    /// Writes any header. `firstPacketTime` is nanoseconds since the epoch.
    func begin(firstPacketTime: Int64?)
    /// Writes (or collects) one record.
    func write(_ record: ConnectionRecord)
    /// Writes any footer or the collected report, then flushes the buffer.
    func finish(summary: AnalysisSummary)
}
