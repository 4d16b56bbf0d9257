import ArgumentParser
import Pcap
#if canImport(Glibc)
import Glibc
#endif

/// Prints one line for a capture error on stderr and returns the exit code to throw, so no
/// command ever shows a stack trace for bad input.
func failure(reporting error: CaptureError) -> ExitCode {
    writeToStandardError(error.description)
    return ExitCode(error.exitCode)
}

func writeToStandardError(_ line: String) {
    var text = line
    if !text.hasSuffix("\n") { text += "\n" }
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
