import Pcap

/// Several capture files read as one stream, in timestamp order.
///
/// A k-way merge: each file's next packet is held (a record's bytes stay valid until the next
/// read on its file), and the earliest of the held packets is delivered next. Equal timestamps go
/// in the order the files were given, so the merge is deterministic. Every file must itself be
/// in time order (as capture files normally are); a packet that goes back in time within a file
/// is delivered where the file puts it. With one file this is a plain read loop.
///
/// A damaged file stops contributing at the damage (every packet before it has been delivered)
/// while the other files are read to their end; the damage errors are returned afterwards, in the
/// order they were met. Rotated sets (`tcpdump -C`/`-G` output) merge into one capture this way.
public struct MergedCapture {
    public let files: [CaptureFile]

    public init(_ files: [CaptureFile]) { self.files = files }

    /// Bytes of all files together (for progress).
    public var totalBytes: Int64 { files.reduce(0) { $0 + $1.fileSize } }
    /// Bytes consumed so far, all files together.
    public var bytesRead: Int64 { files.reduce(0) { $0 + $1.bytesRead } }

    /// Calls `body(record, fileIndex)` for every packet in merged time order until `body` returns
    /// false or every file is exhausted. Returns the damage errors met on the way.
    public func forEachPacket(_ body: (borrowing PacketRecord, Int) -> Bool) -> [CaptureError] {
        var errors: [CaptureError] = []
        if files.count == 1 {
            let file = files[0]
            do {
                while let record = try file.next() {
                    if !body(record, 0) { break }
                }
            } catch {
                errors.append(error)
            }
            return errors
        }

        var heads = [PacketRecord?](repeating: nil, count: files.count)
        func advance(_ i: Int) {
            do {
                heads[i] = try files[i].next()
            } catch {
                heads[i] = nil
                errors.append(error)
            }
        }
        for i in files.indices { advance(i) }
        while true {
            var best = -1
            var bestTime = Timestamp(seconds: 0)
            for i in heads.indices {
                guard let t = heads[i]?.timestamp else { continue }
                if best < 0 || t < bestTime { best = i; bestTime = t }
            }
            if best < 0 { break }
            if !body(heads[best]!, best) { break }
            advance(best)
        }
        return errors
    }
}
