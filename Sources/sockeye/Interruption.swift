import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ctrl-C (SIGINT) and SIGTERM as a request, not a kill: the handler only records the signal
/// and calls `onSignal` (on a dispatch queue, never inside a signal handler), so the command
/// can stop reading, finish the records already decided, write whole lines and the footer, and
/// exit 130 (128 + SIGINT, as shells report it) or 143 for SIGTERM.
final class Interruption: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private final class Received: Sendable { let signal = Atomic<Int32>(0) }
    private let received = Received()

    init(_ onSignal: @escaping @Sendable () -> Void) {
        // A parent may have left these blocked (threads of test runners and some supervisors
        // do); the command must still stop on them.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            let received = self.received
            source.setEventHandler {
                _ = received.signal.compareExchange(expected: 0, desired: sig, ordering: .relaxed)
                onSignal()
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The first signal received, or nil.
    var receivedSignal: Int32? {
        let s = received.signal.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }

    /// The conventional exit status after the signal: 128 + its number.
    var exitStatus: Int32? { receivedSignal.map { 128 + $0 } }

    /// Stops listening (the default dispositions are not restored: the command is ending).
    func cancel() {
        for s in sources { s.cancel() }
        sources.removeAll()
    }

    deinit { cancel() }
}
