import ArgumentParser
import Foundation
import IAMScribeCore
import Logging

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command with CSM turned on and print the policy it needed.",
        discussion: """
        iamscribe run -- aws s3 ls
        iamscribe run --output-file policy.json -- python3 app.py
        The command runs with AWS_CSM_ENABLED=true, AWS_CSM_HOST, AWS_CSM_PORT (a free loopback \
        port) and a fresh AWS_CSM_CLIENT_ID; only events with that id are taken. SIGINT and SIGTERM \
        are passed on to it. iamscribe exits with the command's exit status.
        """
    )

    @OptionGroup var capture: CaptureModeOptions
    @OptionGroup var policy: PolicyOptions
    @OptionGroup var recording: RecordingOptions

    @Option(help: "How long to wait for late datagrams after the command exits, in seconds.")
    var drain: Double = 0.3

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (after --).")
    var command: [String] = []

    func validate() throws {
        if command.first == "--" { return }
        if command.isEmpty { throw ValidationError("Give the command to run after --, for example: iamscribe run -- aws s3 ls") }
    }

    func run() throws {
        let command = self.command.first == "--" ? Array(self.command.dropFirst()) : self.command
        guard !command.isEmpty else { throw ValidationError("Give the command to run after --.") }
        LiveRecorder.bootstrapLogging(verbose: recording.verbose)
        Signals.install()
        var builder = PolicyBuilder(options: policy.builderOptions)
        let journal = try LiveRecorder.openSession(recording.session, builder: &builder)
        let state = Recording(builder: builder, journal: journal)
        var environment = ProcessInfo.processInfo.environment
        let source: any CallSource
        if capture.mode == .pcap {
            // The command's own traffic is what is captured: no CSM settings are added.
            source = try capture.startCapture(into: state)
        } else {
            let clientID = "iamscribe-" + UUID().uuidString.lowercased()
            let listener = CSMListener(configuration: .init(host: "127.0.0.1", port: 0, clientID: clientID),
                                       logger: Logger(label: "iamscribe.csm")) { calls in state.add(calls) }
            let port = try listener.start()
            environment["AWS_CSM_ENABLED"] = "true"
            environment["AWS_CSM_HOST"] = "127.0.0.1"
            environment["AWS_CSM_PORT"] = String(port)
            environment["AWS_CSM_CLIENT_ID"] = clientID
            source = CSMSource(listener: listener)
        }
        let child: pid_t
        do {
            child = try Self.spawn(command, environment: environment)
        } catch {
            source.stop()
            Output.error("\(error)")
            throw ExitCode(127)
        }

        // Output goes to the command's terminal too: the policy is printed once, at the end.
        let loop = LiveRecorder(recording: state, policy: policy, options: recording, redraw: false, source: source)
        var status: Int32 = 0
        while true {
            let waited = waitpid(child, &status, WNOHANG)
            if waited == child || (waited < 0 && errno != EINTR) { break }
            let signal = Signals.stop.exchange(0, ordering: .relaxed)
            if signal != 0 { kill(child, signal) }
            loop.tick()
            usleep(20_000)
        }
        // Late datagrams: wait until the socket has been quiet for a moment.
        let deadline = Date().addingTimeInterval(max(drain, 0) * 4)
        while Date() < deadline {
            let last = source.lastActivity ?? .distantPast
            if Date().timeIntervalSince(last) >= drain { break }
            usleep(20_000)
        }
        source.stop()
        loop.clearStatus()
        loop.finish(printPolicy: policy.outputFile == nil)
        let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        if exitCode != 0 { throw ExitCode(exitCode) }
    }

    /// Starts the command (looked up on PATH) with the given environment.
    static func spawn(_ command: [String], environment: [String: String]) throws -> pid_t {
        let argv = command.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = Signals.withChildAttributes { attributes in
            posix_spawnp(&pid, command[0], nil, attributes, argv, envp)
        }
        guard result == 0 else {
            throw IAMScribeError(.system, "cannot run \(command[0]): \(String(cString: strerror(result)))")
        }
        return pid
    }
}
