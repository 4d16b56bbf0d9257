import Foundation
import Glibc
import Testing
import Pcap

/// Live captures on `lo`. These need capture privileges (root or CAP_NET_RAW), which the test
/// machines have; they are serialized so they do not compete for the two cores.
@Suite("LiveCapture", .serialized)
struct LiveCaptureTests {
    @Test("CaptureDevice.all() lists the loopback interface")
    func devices() throws {
        let devices = try CaptureDevice.all()
        let lo = try #require(devices.first { $0.name == "lo" })
        #expect(lo.isLoopback)
        #expect(lo.isUp)
        #expect(lo.addresses.contains("127.0.0.1"))
        #expect(devices.contains { $0.name == "any" })
    }

    @Test("a nonexistent interface gives deviceUnavailable, exit 69")
    func noSuchDevice() {
        let error = #expect(throws: CaptureError.self) {
            try LiveCapture(interface: "sockeye-nope0")
        }
        guard case .deviceUnavailable("sockeye-nope0", let message)? = error else {
            Issue.record("expected deviceUnavailable, got \(String(describing: error))")
            return
        }
        #expect(message.contains("No such device"))
        #expect(error?.exitCode == 69)
    }

    @Test("a bad live filter gives badFilter")
    func badLiveFilter() {
        let error = #expect(throws: CaptureError.self) {
            try LiveCapture(interface: "lo", configuration: .init(filter: "udp port"))
        }
        #expect(error?.exitCode == 64)
    }

    @Test("UDP datagrams sent to 127.0.0.1 are captured through a port filter")
    func captureUDPOnLoopback() throws {
        let port = UInt16.random(in: 40_000...60_000)
        let capture = try LiveCapture(
            interface: "lo", configuration: .init(filter: "udp and dst port \(port)"))
        #expect(capture.linkType == 1)   // Linux lo is DLT_EN10MB
        #expect(capture.filter == "udp and dst port \(port)")

        let payloads: [[UInt8]] = (0..<3).map { Array("sockeye-\($0)".utf8) }
        let before = wallClock()
        try sendUDP(payloads, port: port, extraPort: port &+ 1)

        var captured: [[UInt8]] = []
        var stamps: [Timestamp] = []
        let end = try capture.loop(count: 3, duration: .seconds(3)) { record in
            #expect(record.captureLength == record.wireLength)
            stamps.append(record.timestamp)
            captured.append(Array(record.bytes.suffix(from: 14 + 20 + 8)))   // Ethernet + IPv4 + UDP
        }
        #expect(end == .countReached)
        #expect(captured == payloads)
        // Timestamps are wall-clock times of this run, in order.
        #expect(stamps == stamps.sorted())
        if let first = stamps.first {
            #expect(abs(first.seconds(since: before)) < 5)
        }

        let stats = try capture.statistics()
        #expect(stats.received >= 3)
        #expect(stats.droppedByKernel == 0)
    }

    @Test("stopHandle.stop() from another thread ends a quiet loop promptly")
    func stopFromAnotherThread() throws {
        let capture = try LiveCapture(
            interface: "lo", configuration: .init(filter: "udp and dst port 9 and src port 9"))
        let stop = capture.stopHandle
        let thread = Thread {
            usleep(200_000)
            stop.stop()
        }
        thread.start()
        let clock = ContinuousClock()
        var delivered = 0
        let start = clock.now
        let end = try capture.loop(duration: .seconds(4)) { _ in delivered += 1 }
        let elapsed = clock.now - start
        #expect(end == .stopped)
        #expect(delivered == 0)
        #expect(elapsed < .seconds(2))
        #expect(!capture.isStopRequested)   // the request was consumed
    }

    @Test("a stop requested before the loop ends it at once; duration limits a loop")
    func stopBeforeLoopAndDuration() throws {
        let capture = try LiveCapture(
            interface: "lo", configuration: .init(readTimeout: .milliseconds(20), filter: "udp and dst port 9 and src port 9"))
        capture.breakLoop()
        #expect(capture.isStopRequested)
        #expect(try capture.loop { _ in } == .stopped)
        let clock = ContinuousClock()
        let start = clock.now
        let cpuBefore = threadCPUTime()
        #expect(try capture.loop(duration: .milliseconds(150)) { _ in } == .durationElapsed)
        let elapsed = clock.now - start
        #expect(elapsed >= .milliseconds(150) && elapsed < .seconds(2))
        // A quiet loop sleeps in poll(2) instead of spinning.
        #expect(threadCPUTime() - cpuBefore < .milliseconds(75))
        #expect(try capture.loop(count: 0) { _ in } == .countReached)
    }

    @Test("writer for a live capture: captured packets round-trip through a file")
    func liveToFile() throws {
        let port = UInt16.random(in: 40_000...60_000)
        let capture = try LiveCapture(interface: "lo", configuration: .init(filter: "udp dst port \(port)"))
        let dir = try TemporaryDirectory()
        let path = dir.path("live.pcap")
        let writer = try CaptureWriter(path: path, for: capture)
        try sendUDP([[1], [2, 2]], port: port, extraPort: nil)
        var live: [ReadPacket] = []
        try capture.loop(count: 2, duration: .seconds(3)) { record in
            writer.write(record)
            live.append(ReadPacket(
                timestamp: record.timestamp, captureLength: record.captureLength,
                wireLength: record.wireLength, linkType: record.linkType, bytes: Array(record.bytes)))
        }
        try writer.close()
        #expect(live.count == 2)
        #expect(try readAll(CaptureFile(path: path)) == live)
    }
}

/// CPU time used by the calling thread.
private func threadCPUTime() -> Duration {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
}

private func wallClock() -> Timestamp {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Timestamp(seconds: Int64(now.tv_sec), nanoseconds: UInt32(now.tv_nsec))
}

/// Sends each payload as one UDP datagram to 127.0.0.1:`port` (and one to `extraPort`, which
/// the filter must reject).
private func sendUDP(_ payloads: [[UInt8]], port: UInt16, extraPort: UInt16?) throws {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    try #require(fd >= 0)
    defer { close(fd) }
    func send(_ bytes: [UInt8], to port: UInt16) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, socketAddress, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        try #require(sent == bytes.count)
    }
    for (index, payload) in payloads.enumerated() {
        if let extraPort, index == 1 { try send(Array("noise".utf8), to: extraPort) }
        try send(payload, to: port)
    }
}
