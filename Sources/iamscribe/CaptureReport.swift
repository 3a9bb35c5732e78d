import IAMScribeCore

extension Output {
    /// Prints what a capture held besides its calls, so users see what could not be decoded and why.
    static func captureReport(_ input: String, _ statistics: CaptureStatistics, calls: Int) {
        note("\(input): \(plural(statistics.packets, "packet")), \(plural(statistics.httpRequests, "HTTP request")), "
             + "\(plural(statistics.csmDatagrams, "CSM datagram")), \(plural(calls, "call")) decoded")
        if statistics.skippedMissingData > 0 {
            note("\(input): \(plural(statistics.skippedMissingData, "request")) skipped: segments missing from the capture")
        }
        if statistics.unidentifiedRequests > 0 {
            note("\(input): \(plural(statistics.unidentifiedRequests, "HTTP request")) named no AWS service (no SigV4 signature, no AWS host name)")
        }
        if statistics.unknownOperations > 0 {
            note("\(input): \(plural(statistics.unknownOperations, "AWS request")) whose operation could not be told")
        }
        if statistics.csmRejected > 0 {
            note("\(input): \(plural(statistics.csmRejected, "CSM event")) rejected (not valid CSM JSON)")
        }
        for endpoint in statistics.tlsEndpoints.values.sorted(by: { $0.host < $1.host }) {
            let service = endpoint.service.map { " (\($0))" } ?? ""
            note("\(input): TLS to \(endpoint.host)\(service), \(plural(endpoint.connections, "connection")): "
                 + "encrypted, its operations cannot be read; record this client with CSM or the proxy")
        }
        let otherTLS = statistics.tlsConnections - statistics.tlsEndpoints.values.reduce(0) { $0 + $1.connections }
        if otherTLS > 0 { note("\(input): \(plural(otherTLS, "TLS connection")) to hosts that are not AWS endpoints") }
        if statistics.malformed > 0 { note("\(input): \(plural(statistics.malformed, "malformed packet")) skipped") }
        if statistics.truncated > 0 {
            note("\(input): \(plural(statistics.truncated, "packet")) cut short by the capture's snapshot length")
        }
        if statistics.fragmentsDropped > 0 {
            note("\(input): \(plural(statistics.fragmentsDropped, "IP datagram")) dropped: fragments missing or overlapping")
        }
    }
}
