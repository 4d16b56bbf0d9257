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
            state.pointee.ending = .endOfFile
            return nil
        default:                 // -1 (or an impossible value): the file is damaged
            let reason = handle.map(PcapSupport.lastError) ?? "unknown libpcap error"
            return try fail(reason)
        }
    }

    /// The in-memory reader stopped: the end of the data, or damage.
    @usableFromInline
    internal func endOfMemory() throws(CaptureError) -> PacketRecord? {
        guard let reason = cursor?.pointee.damage ?? pcapng?.pointee.damage else {
            state.pointee.ending = .endOfFile
            return nil
        }
        return try fail(reason)
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
