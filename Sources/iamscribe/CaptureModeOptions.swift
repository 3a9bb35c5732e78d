import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import IAMScribeCore
import IAMScribeProxy

/// How `record` and `run` learn calls.
enum CaptureMode: String, ExpressibleByArgument, CaseIterable {
    /// SDK client-side monitoring datagrams.
    case csm
    /// Packets on a network interface (libpcap): plain HTTP requests and CSM datagrams.
    case pcap
    /// An HTTPS proxy that decrypts AWS hosts with iamscribe's CA (see `iamscribe ca`).
    case proxy
}

/// The options of network capture for `record` and `run`.
struct CaptureModeOptions: ParsableArguments {
    @Option(help: "How to learn calls: csm (client-side monitoring, the default), pcap (capture packets on --interface) or proxy (an HTTPS proxy that decrypts AWS hosts).")
    var mode: CaptureMode = .csm

    @Option(help: "With --mode pcap: the interface to capture on (any, lo, eth0, ...).")
    var interface = "any"

    @Option(help: "With --mode pcap: a BPF filter, for example 'tcp port 80 or udp port 31000'.")
    var filter: String?

    @Option(name: .customLong("csm-port"), help: "With --mode pcap: a UDP port CSM datagrams go to (repeatable; default 31000).")
    var csmPorts: [UInt16] = []

    @Option(help: "With --mode proxy: the address and port to listen on (record: 127.0.0.1:10080; run: a free loopback port).")
    var listen: String?

    @Option(name: .customLong("intercept"), help: "With --mode proxy: also decrypt and record this host (name.example or *.example; repeatable). AWS hosts always are; every other host is tunnelled untouched.")
    var intercepts: [String] = []

    @Option(help: "With --mode proxy: a PEM file of extra CA certificates to trust for upstream TLS, besides the system's.")
    var upstreamCa: String?

    @Option(help: "With --mode proxy: an HTTP proxy (http://host:port) that upstream connections go through with CONNECT.")
    var upstreamProxy: String?

    @Option(help: "With --mode proxy: send every intercepted request to this endpoint (http(s)://host:port, moto or LocalStack), keeping its Host header.")
    var forwardTo: String?

    func validate() throws {
        if mode == .csm && (filter != nil || !csmPorts.isEmpty || interface != "any") {
            throw ValidationError("--interface, --filter and --csm-port apply to --mode pcap.")
        }
        if csmPorts.contains(0) { throw ValidationError("--csm-port takes a UDP port from 1 to 65535.") }
        if mode != .proxy && (listen != nil || !intercepts.isEmpty || upstreamCa != nil || upstreamProxy != nil || forwardTo != nil) {
            throw ValidationError("--listen, --intercept, --upstream-ca, --upstream-proxy and --forward-to apply to --mode proxy.")
        }
        if mode == .proxy && (filter != nil || !csmPorts.isEmpty || interface != "any") {
            throw ValidationError("--interface, --filter and --csm-port apply to --mode pcap, not --mode proxy.")
        }
        if let listen, Self.hostAndPort(listen) == nil {
            throw ValidationError("--listen takes HOST:PORT (for example 127.0.0.1:10080), not \(listen.debugDescription).")
        }
        for pattern in intercepts {
            if let problem = ProxyConfiguration.patternProblem(pattern) { throw ValidationError("--intercept: \(problem).") }
        }
        if let upstreamCa, !FileManager.default.isReadableFile(atPath: upstreamCa) {
            throw ValidationError("--upstream-ca: cannot read \(upstreamCa).")
        }
        do {
            _ = try upstreamProxy.map { try ProxyConfiguration.Endpoint(url: $0, option: "--upstream-proxy") }
            _ = try forwardTo.map { try ProxyConfiguration.Endpoint(url: $0, option: "--forward-to") }
        } catch let error as IAMScribeError {
            throw ValidationError(error.reason + ".")
        }
    }

    /// `HOST:PORT`, with `[...]` around an IPv6 address.
    static func hostAndPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    /// The proxy's configuration, listening on `--listen` or else on `defaultListen`.
    func proxyConfiguration(defaultListen: String) throws -> ProxyConfiguration {
        guard let address = Self.hostAndPort(listen ?? defaultListen) else {
            throw ValidationError("--listen takes HOST:PORT.")
        }
        return ProxyConfiguration(
            host: address.host, port: address.port, intercept: intercepts, upstreamCAFile: upstreamCa,
            upstreamProxy: try upstreamProxy.map { try ProxyConfiguration.Endpoint(url: $0, option: "--upstream-proxy") },
            forwardTo: try forwardTo.map { try ProxyConfiguration.Endpoint(url: $0, option: "--forward-to") })
    }

    /// The source these options choose: a packet capture, the HTTPS proxy, or a CSM listener
    /// configured by `csm`.
    ///
    /// - Throws: When the proxy's CA cannot be opened or created.
    func source(csm: CSMListener.Configuration, defaultListen: String) throws -> any CallSource {
        switch mode {
        case .csm:
            return CSMCallSource(configuration: csm)
        case .pcap:
            let options = CaptureOptions(csmPorts: Set(csmPorts.isEmpty ? [31000] : csmPorts))
            return CaptureCallSource(interface: interface, filter: filter, options: options)
        case .proxy:
            let authority = try CertificateAuthority.open(folder: CertificateAuthority.defaultFolder())
            return ProxyCallSource(configuration: try proxyConfiguration(defaultListen: defaultListen), authority: authority)
        }
    }
}
