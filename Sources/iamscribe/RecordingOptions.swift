import ArgumentParser
import IAMScribeCore

/// The options of `record` and `run` beyond the policy's.
struct RecordingOptions: ParsableArguments {
    @Option(help: "Append every observed call to this session journal (JSON lines, mode 0600), and load it on start so a recording continues across runs.")
    var session: String?

    @Option(help: "Redraw the policy in the terminal at most once per this many seconds.")
    var refreshRate: Double = 0.1

    @Flag(help: "Log each rejected datagram (its reason and size, never its content).")
    var verbose = false

    func validate() throws {
        guard refreshRate >= 0.01, refreshRate <= 3600 else {
            throw ValidationError("--refresh-rate must be between 0.01 and 3600 seconds.")
        }
    }
}
