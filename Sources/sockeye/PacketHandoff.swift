import Dispatch
import Synchronization

/// A bounded single-producer/single-consumer hand-off of captured packets between the capture
/// thread and the analysis thread, so slow output never stalls `pcap_next_ex` (which would
/// make the kernel drop packets). Packets are copied into one preallocated byte ring; when it
/// or the slot ring is full the packet is dropped and counted (`dropped`), never blocking the
/// producer.
final class PacketHandoff: @unchecked Sendable {
    struct Packet {
        var time: Int64
        var wireLength: Int
        var bytes: [UInt8]
    }

    private struct Slot {
        var time: Int64 = 0
        var wireLength = 0
        var offset = 0
        var length = 0
    }

    private struct State {
        var head = 0          // oldest slot
        var count = 0
        var readOffset = 0    // start of the oldest live bytes
        var writeOffset = 0   // end of the newest live bytes
        var dropped = 0
        var finished = false
    }

    private let slab: UnsafeMutableRawBufferPointer
    private let slots: UnsafeMutableBufferPointer<Slot>
    private let state = Mutex(State())
    private let ready = DispatchSemaphore(value: 0)

    init(byteCapacity: Int = 64 << 20, slotCapacity: Int = 1 << 16) {
        slab = .allocate(byteCount: byteCapacity, alignment: 16)
        slots = .allocate(capacity: slotCapacity)
        slots.initialize(repeating: Slot())
    }

    deinit {
        slab.deallocate()
        slots.deallocate()
    }

    /// Packets dropped because the hand-off was full.
    var dropped: Int { state.withLock { $0.dropped } }

    /// Producer: copies the packet in, or counts a drop. Never blocks on the consumer.
    func push(time: Int64, wireLength: Int, bytes: UnsafeRawBufferPointer) {
        let length = max(bytes.count, 1)
        let accepted = state.withLock { s -> Bool in
            guard s.count < slots.count else { s.dropped += 1; return false }
            var offset: Int
            if s.count == 0 { s.readOffset = 0; s.writeOffset = 0 }
            if s.writeOffset >= s.readOffset {
                if slab.count - s.writeOffset >= length {
                    offset = s.writeOffset
                } else if s.readOffset > length || (s.count == 0 && length <= slab.count) {
                    offset = 0
                } else {
                    s.dropped += 1
                    return false
                }
            } else if s.readOffset - s.writeOffset > length {
                offset = s.writeOffset
            } else {
                s.dropped += 1
                return false
            }
            if bytes.count > 0 {
                UnsafeMutableRawBufferPointer(rebasing: slab[offset..<(offset + bytes.count)]).copyMemory(from: bytes)
            }
            let index = (s.head + s.count) % slots.count
            slots[index] = Slot(time: time, wireLength: wireLength, offset: offset, length: bytes.count)
            s.count += 1
            s.writeOffset = offset + length
            return true
        }
        if accepted { ready.signal() }
    }

    /// Producer: no more packets will come.
    func finish() {
        state.withLock { $0.finished = true }
        ready.signal()
    }

    /// Consumer: calls `body` for each waiting packet (bytes valid during the call); waits up to
    /// `timeout` when none is waiting. Returns false once the producer finished and all packets
    /// were consumed.
    func drain(timeout: DispatchTimeInterval, _ body: (Int64, Int, UnsafeRawBufferPointer) -> Void) -> Bool {
        _ = ready.wait(timeout: .now() + timeout)
        var scratch = [UInt8]()
        while true {
            var slot = Slot()
            let status = state.withLock { s -> Int in
                guard s.count > 0 else { return s.finished ? -1 : 0 }
                slot = slots[s.head]
                scratch.removeAll(keepingCapacity: true)
                scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: slab[slot.offset..<(slot.offset + slot.length)]))
                s.head = (s.head + 1) % slots.count
                s.count -= 1
                s.readOffset = s.count > 0 ? slots[s.head].offset : s.writeOffset
                return 1
            }
            if status == -1 { return false }
            if status == 0 { return true }
            scratch.withUnsafeBytes { body(slot.time, slot.wireLength, $0) }
        }
    }
}
