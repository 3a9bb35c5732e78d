import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import IAMScribeCore
import IAMScribeProxy
import Logging

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Listen for AWS SDK client-side monitoring (CSM) events and keep the policy current.",
        discussion: """
        Turn CSM on in the workload (AWS_CSM_ENABLED=true, or --set-ini) and leave this running. \
        On a terminal the policy is redrawn as it grows; otherwise it is printed on exit (SIGINT, SIGTERM), \
        unless --output-file takes it. SIGHUP rewrites --output-file at once. Exits 1 when the recorder cannot \
        start or the last write of --output-file or --session fails (an unwritable folder, a full disk).
        With --from-trail it does not listen: it adds a CloudTrail trail's calls to --session, prints the \
        session's policy (its union with what was recorded before) and exits: 2 when a trail cannot be read \
        or yields nothing but errors, 1 when the journal or --output-file cannot be written.
        """
    )

    @Option(help: "The address to listen on. Binding a non-loopback address needs --allow-remote.")
    var host = "127.0.0.1"

    @Option(help: "The UDP port to listen on.")
    var port = 31000

    @Flag(help: "Allow listening on a non-loopback address. CSM has no authentication: anyone who can send a datagram can add permissions.")
    var allowRemote = false

    @Option(help: "Accept only events carrying this ClientId.")
    var clientId: String?

    @Flag(help: "Turn CSM on in the AWS config file (AWS_CONFIG_FILE or ~/.aws/config) while recording (with --mode proxy: set ca_bundle to a bundle that trusts iamscribe's CA); the file is restored on exit (byte for byte, or keeping changes made meanwhile).")
    var setIni = false

    @Option(help: "The profile --set-ini edits (letters, digits and - _ . @ +).")
    var profile = "default"

    @Flag(help: "Detach, print the process id and keep writing --output-file and --session.")
    var background = false

    @Option(name: .customLong("from-trail"), help: ArgumentHelp("Add this CloudTrail input's calls to --session and exit, without listening (repeatable): a log file, a folder in the S3 delivery layout, a Lake or event history export, a `cloudtrail query` result, or '-'.", valueName: "path"))
    var fromTrail: [String] = []

    @OptionGroup var capture: CaptureModeOptions
    @OptionGroup var policy: PolicyOptions
    @OptionGroup var recording: RecordingOptions
    @OptionGroup(title: "CloudTrail input (with --from-trail)") var cloudTrail: CloudTrailOptions

    func validate() throws {
        try validateTrail()
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535.") }
        if !CSMListener.isLoopback(host) && !allowRemote {
            throw ValidationError("Listening on \(host) would accept CSM events from other machines, and CSM has no authentication. Add --allow-remote if that is what you want.")
        }
        if background && policy.outputFile == nil && recording.session == nil {
            throw ValidationError("--background needs --output-file or --session: a detached recorder has no terminal to print to.")
        }
        if profile != "default" && !setIni {
            throw ValidationError("--profile only applies with --set-ini.")
        }
        if let problem = AWSConfigFile.profileNameProblem(profile) {
            throw ValidationError("--profile: \(problem).")
        }
        if capture.mode == .pcap && (setIni || clientId != nil || host != "127.0.0.1" || port != 31000) {
            throw ValidationError("--host, --port, --client-id and --set-ini apply to --mode csm; --mode pcap captures on --interface.")
        }
        if capture.mode == .proxy && (clientId != nil || host != "127.0.0.1" || port != 31000) {
            throw ValidationError("--host, --port and --client-id apply to --mode csm; --mode proxy listens on --listen.")
        }
        if capture.mode == .proxy, let listen = capture.listen, let address = CaptureModeOptions.hostAndPort(listen),
           !CSMListener.isLoopback(address.host) && !allowRemote {
            throw ValidationError("Listening on \(address.host) would make the proxy an open proxy for other machines, decrypting their AWS traffic. Add --allow-remote if that is what you want.")
        }
        try recording.validate(outputFile: policy.outputFile)
    }

    func run() throws {
        if !fromTrail.isEmpty { return try addTrails() }
        if background {
            var arguments = Array(CommandLine.arguments.dropFirst())
            arguments.removeAll { $0 == "--background" }
            print(try ChildProcess.detachSelf(arguments: arguments))
            return
        }
        if !CSMListener.isLoopback(host) {
            Output.note("warning: listening on \(host): anyone who can reach this port can add permissions to the policy")
        }
        let redraw = isatty(STDOUT_FILENO) == 1
        let live = try LiveSession(capture: capture, csm: .init(host: host, port: port, clientID: clientId),
                                   policy: policy, options: recording, redraw: redraw)
        var config: AWSConfigFile?
        defer {
            if let config {
                do {
                    if try config.restore() == .keptChanges {
                        Output.note("iamscribe: \(config.editedPath) changed while recording; your changes are kept and only the lines iamscribe wrote were taken out")
                    }
                } catch {
                    Output.error("could not restore \(config.path): \(error); restore it with: \(config.restoreHint)")
                }
            }
        }
        if let proxy = live.proxy, let proxyPort = proxy.port {
            let address = proxy.configuration.host.contains(":") ? "[\(proxy.configuration.host)]" : proxy.configuration.host
            let url = "http://\(address):\(proxyPort)"
            let bundle = try CABundle.write(for: proxy.authority)
            if setIni {
                config = try AWSConfigFile.setCABundle(bundle, path: AWSConfigFile.defaultPath(), profile: profile)
                Output.note("iamscribe: ca_bundle set in \(AWSConfigFile.defaultPath()) for profile \(profile) until this recorder stops")
            }
            Output.note("iamscribe: HTTPS proxy on \(address):\(proxyPort); point clients at it with:")
            Output.note("export HTTPS_PROXY=\(url) HTTP_PROXY=\(url) https_proxy=\(url) http_proxy=\(url)")
            Output.note("export " + Run.bundleVariables.map { "\($0)=\(bundle)" }.joined(separator: " "))
        } else if setIni {
            config = try AWSConfigFile.enableCSM(path: AWSConfigFile.defaultPath(), profile: profile, port: live.csmPort ?? port,
                                                 host: host, clientID: clientId)
            Output.note("iamscribe: CSM enabled in \(AWSConfigFile.defaultPath()) for profile \(profile) until this recorder stops")
        }
        let what = switch capture.mode {
        case .pcap: "capturing packets on \(capture.interface)"
        case .proxy: "recording AWS calls through the proxy on port \(live.proxy?.port ?? 0)"
        case .csm: "listening for CSM events on \(host):\(live.csmPort ?? port)"
        }
        Output.note("iamscribe: \(what)" + (redraw ? "; Ctrl-C stops" : ""))
        live.runUntilStopped()
        // With --output-file the policy goes there only, as with `run`.
        // (a terminal gets its last redraw).
        let summary = live.finish(printPolicy: policy.outputFile == nil || redraw)
        if !summary.succeeded { throw ExitCode(1) }
    }
}
