import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import IAMScribeCore
import IAMScribeProxy

struct Run: ParsableCommand {
    /// `run`'s own failure (it could not listen, open the journal or write the policy), told
    /// apart from the command's status as `env` and `timeout` do.
    static let ownFailure: Int32 = 125

    /// The variables that point clients at a CA bundle, set by `--mode proxy` (over any value
    /// already set: machines often preset AWS_CA_BUNDLE to the system's bundle).
    static let bundleVariables = ["AWS_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"]

    static let configuration = CommandConfiguration(
        abstract: "Run a command with CSM turned on and print the policy it needed.",
        discussion: """
        iamscribe run -- aws s3 ls
        iamscribe run --output-file policy.json -- python3 app.py
        The command runs with AWS_CSM_ENABLED=true, AWS_CSM_HOST, AWS_CSM_PORT (a free loopback \
        port) and a fresh AWS_CSM_CLIENT_ID; only events with that id are taken. It runs in a process \
        group of its own; SIGINT and SIGTERM are passed on to the whole group. After it exits, late \
        datagrams are awaited (--drain; a SIGINT or SIGTERM ends the wait).
        With --mode proxy the command runs with HTTPS_PROXY and HTTP_PROXY (and their lower-case \
        forms) set to the proxy on a free loopback port (NO_PROXY is kept), and AWS_CA_BUNDLE, \
        SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE set to a bundle of the \
        system's roots and iamscribe's CA (see `iamscribe ca`).
        Exit status: the command's (128+N when signal N ended it); 125 when iamscribe itself failed \
        (it could not listen or open --session, or could not write --output-file or --session at \
        the end: the policy is then printed on standard output); 126 when the command was found but \
        could not be run; 127 when it was not found; 64 for a usage error.
        """
    )

    @OptionGroup var capture: CaptureModeOptions
    @OptionGroup var policy: PolicyOptions
    @OptionGroup var recording: RecordingOptions

    @Option(help: "How long to wait for late datagrams after the command exits, in seconds (0 to 60).")
    var drain: Double = 0.3

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (after --).")
    var command: [String] = []

    func validate() throws {
        guard drain.isFinite, (0...60).contains(drain) else {
            throw ValidationError("--drain takes a number of seconds from 0 to 60.")
        }
        try recording.validate(outputFile: policy.outputFile)
        if let listen = capture.listen, let address = CaptureModeOptions.hostAndPort(listen), !CSMListener.isLoopback(address.host) {
            throw ValidationError("run --mode proxy listens on loopback only (its command is local); --listen \(listen) would open the proxy to other machines.")
        }
        if command.first == "--" { return }
        if command.isEmpty { throw ValidationError("Give the command to run after --, for example: iamscribe run -- aws s3 ls") }
    }

    func run() throws {
        let command = self.command.first == "--" ? Array(self.command.dropFirst()) : self.command
        guard !command.isEmpty else { throw ValidationError("Give the command to run after --.") }
        let clientID = "iamscribe-" + UUID().uuidString.lowercased()
        let live: LiveSession
        do {
            // Output goes to the command's terminal too: the policy is printed once, at the end.
            live = try LiveSession(capture: capture, csm: .init(host: "127.0.0.1", port: 0, clientID: clientID),
                                   policy: policy, options: recording, redraw: false, proxyListen: "127.0.0.1:0")
        } catch {
            Output.error("\(error)")
            throw ExitCode(Self.ownFailure)
        }
        var environment = ProcessInfo.processInfo.environment
        // With --mode pcap the command's own traffic is what is captured: no CSM settings are added.
        if let port = live.csmPort {
            environment["AWS_CSM_ENABLED"] = "true"
            environment["AWS_CSM_HOST"] = "127.0.0.1"
            environment["AWS_CSM_PORT"] = String(port)
            environment["AWS_CSM_CLIENT_ID"] = clientID
        }
        if let proxy = live.proxy, let port = proxy.port {
            let host = proxy.configuration.host.contains(":") ? "[\(proxy.configuration.host)]" : proxy.configuration.host
            let url = "http://\(host):\(port)"
            for name in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] { environment[name] = url }
            do {
                let bundle = try CABundle.write(for: proxy.authority)
                for name in Self.bundleVariables { environment[name] = bundle }
            } catch {
                _ = live.service.finish()
                Output.error("\(error)")
                throw ExitCode(Self.ownFailure)
            }
        }
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(command, environment: environment)
        } catch let error as IAMScribeError {
            _ = live.service.finish()
            Output.error("\(error)")
            throw ExitCode(error.code == .commandNotFound ? 127 : 126)
        }
        let termination = child.wait(every: 0.02, pendingSignal: { Signals.stop.exchange(0, ordering: .relaxed) }, tick: live.tick)
        live.service.drain(quiet: drain) { Signals.stop.load(ordering: .relaxed) != 0 }
        let summary = live.finish(printPolicy: policy.outputFile == nil)
        if summary.outputFailure != nil && policy.outputFile != nil {
            // The policy must not go nowhere.
            Output.write(live.text(of: summary.policy.document))
        }
        if !summary.succeeded {
            Output.error("the command exited with status \(termination.shellStatus); iamscribe exits \(Self.ownFailure) as it could not write everything")
            throw ExitCode(Self.ownFailure)
        }
        if termination.shellStatus != 0 { throw ExitCode(termination.shellStatus) }
    }
}
