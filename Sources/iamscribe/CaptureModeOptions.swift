import ArgumentParser
import IAMScribeCore

/// How `record` and `run` learn calls.
enum CaptureMode: String, ExpressibleByArgument, CaseIterable {
    /// SDK client-side monitoring datagrams.
    case csm
    /// Packets on a network interface (libpcap): plain HTTP requests and CSM datagrams.
    case pcap
}

/// The options of network capture for `record` and `run`.
struct CaptureModeOptions: ParsableArguments {
    @Option(help: "How to learn calls: csm (client-side monitoring, the default) or pcap (capture packets on --interface).")
    var mode: CaptureMode = .csm

    @Option(help: "With --mode pcap: the interface to capture on (any, lo, eth0, ...).")
    var interface = "any"

    @Option(help: "With --mode pcap: a BPF filter, for example 'tcp port 80 or udp port 31000'.")
    var filter: String?

    @Option(name: .customLong("csm-port"), help: "With --mode pcap: a UDP port CSM datagrams go to (repeatable; default 31000).")
    var csmPorts: [UInt16] = []

    func validate() throws {
        if mode == .csm && (filter != nil || !csmPorts.isEmpty || interface != "any") {
            throw ValidationError("--interface, --filter and --csm-port apply to --mode pcap.")
        }
        if csmPorts.contains(0) { throw ValidationError("--csm-port takes a UDP port from 1 to 65535.") }
    }

    /// The source these options choose: a packet capture, or a CSM listener configured by `csm`.
    func source(csm: CSMListener.Configuration) -> any CallSource {
        guard mode == .pcap else { return CSMCallSource(configuration: csm) }
        let options = CaptureOptions(csmPorts: Set(csmPorts.isEmpty ? [31000] : csmPorts))
        return CaptureCallSource(interface: interface, filter: filter, options: options)
    }
}
