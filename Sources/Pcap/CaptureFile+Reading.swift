import CPcap

extension CaptureFile {
    /// Returns the next packet, or `nil` at the end of the file.
    ///
    /// The record's bytes are borrowed and stay valid only until the next call on this file
    /// (pcap_next_ex(3PCAP); for a file read from memory they point into the mapping). Packets
    /// rejected by the filter are skipped inside libpcap.
    ///
    /// - Throws: ``CaptureError/damaged(path:reason:packetsRead:)`` when a record is truncated or
    ///   impossible (for example a captured length above the maximum snapshot length) or a
    ///   pcapng block is malformed. Every packet before the damage has been returned. Once the
    ///   end or an error is reached, further calls return `nil` or throw the same error again.
    @inlinable
    public func next() throws(CaptureError) -> PacketRecord? {
        if _slowPath(state.pointee.ending != nil) { return try repeatEnding() }
        if let cursor {
            guard let record = cursor.pointee.next() else { return try endOfMemory() }
            state.pointee.delivered &+= 1
            return record
        }
        if let pcapng {
            guard let record = pcapng.pointee.next() else { return try endOfMemory() }
            state.pointee.delivered &+= 1
            return record
        }
        var header: UnsafeMutablePointer<pcap_pkthdr>? = nil
        var data: UnsafePointer<UInt8>? = nil
        let status = pcap_next_ex(handle, &header, &data)
        guard _fastPath(status == 1), let header, let data else {
            return try end(status: status)
        }
        state.pointee.delivered &+= 1
        return PacketRecord(
            header: header, data: data, linkType: linkType, nanosecondsPerUnit: nanosecondsPerUnit)
    }

    /// Calls `body` with every remaining packet, in file order.
    ///
    /// `record.bytes` is valid only during the call. The loop does not allocate per packet.
    ///
    /// - Throws: ``CaptureError/damaged(path:reason:packetsRead:)`` after delivering every packet
    ///   before the damage.
    @inlinable
    public func forEachPacket(_ body: (borrowing PacketRecord) -> Void) throws(CaptureError) {
        while let record = try next() {
            body(record)
        }
    }

    /// Calls `body` with every remaining packet; an error thrown by `body` stops the loop and is
    /// rethrown unchanged.
    ///
    /// - Throws: the error `body` threw, or a ``CaptureError`` (see ``next()``).
    @inlinable
    public func forEachPacket<Failure: Error>(
        _ body: (borrowing PacketRecord) throws(Failure) -> Void
    ) throws {
        while let record = try next() {
            try body(record)
        }
    }

    /// Turns a non-packet `pcap_next_ex` status into `nil` (end of file) or an error.
    @usableFromInline
    internal func end(status: Int32) throws(CaptureError) -> PacketRecord? {
        switch status {
        case PCAP_ERROR_BREAK:   // -2: no more packets in the savefile
            // A stream that ended with damage (compressed data cut short) is not a clean end.
            if let failure = source?.failure { return try fail(failure) }
            state.pointee.ending = .endOfFile
            return nil
        default:                 // -1 (or an impossible value): the file is damaged
            let reason = source?.failure ?? handle.map(PcapSupport.lastError) ?? "unknown libpcap error"
            return try fail(reason)
        }
    }

    /// The in-memory reader stopped: the end of the data, or damage, or (for a stream) the end
    /// of the bytes buffered so far.
    @usableFromInline
    internal func endOfMemory() throws(CaptureError) -> PacketRecord? {
        if let streaming {
            if let record = refill(streaming) {
                state.pointee.delivered &+= 1
                return record
            }
            // The stream's own damage (decompression, read error) explains a record cut short.
            if let failure = streaming.source.failure { return try fail(failure) }
        }
        guard let reason = cursor?.pointee.damage ?? pcapng?.pointee.damage else {
            state.pointee.ending = .endOfFile
            return nil
        }
        return try fail(reason)
    }

    /// While the cursor needs more data: moves the unread bytes to the front of the buffer,
    /// reads more and retries. nil when the cursor stops for good (end or damage).
    private func refill(_ input: StreamingInput) -> PacketRecord? {
        if let cursor {
            while cursor.pointee.needsMore {
                input.refill(from: cursor.pointee.offset)
                cursor.pointee.rebase(input.buffer, size: input.filled, final: input.final)
                if let record = cursor.pointee.next() { return record }
            }
        } else if let pcapng {
            while pcapng.pointee.needsMore {
                input.refill(from: pcapng.pointee.offset)
                pcapng.pointee.rebase(input.buffer, size: input.filled, final: input.final)
                if let record = pcapng.pointee.next() { return record }
            }
        }
        return nil
    }

    private func fail(_ reason: String) throws(CaptureError) -> PacketRecord? {
        let error = CaptureError.damaged(path: path, reason: reason, packetsRead: state.pointee.delivered)
        state.pointee.ending = .failure(error)
        throw error
    }

    @usableFromInline
    internal func repeatEnding() throws(CaptureError) -> PacketRecord? {
        if case .failure(let error) = state.pointee.ending { throw error }
        return nil
    }
}
