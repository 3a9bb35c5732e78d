import NIOCore

/// The idle upstream connections of one HTTP/2 client connection, kept for its next streams.
///
/// Upstream stays HTTP/1.1 (moto, LocalStack and every AWS endpoint speak it), where one
/// connection carries one exchange at a time: each stream takes a connection of its own, so
/// concurrent streams never wait for one another, and gives it back when its exchange ended
/// cleanly, so a client that sends its calls one after another over one HTTP/2 connection (the Go
/// SDK does) pays for one upstream TLS handshake, not one per call. Every stream of a connection
/// runs on that connection's event loop, and so does the pool: it needs no lock.
final class UpstreamPool {
    /// An upstream connection and the handler at its end.
    struct Connection {
        let channel: Channel
        let handler: UpstreamHandler
    }

    /// The most idle connections kept for one endpoint; more are closed when they come back.
    static let maximumIdlePerEndpoint = 16

    private var idle: [ProxyConfiguration.Endpoint: [Connection]] = [:]
    private var closed = false

    /// An idle connection to `endpoint` that is still open, if there is one.
    func take(_ endpoint: ProxyConfiguration.Endpoint) -> Connection? {
        while var connections = idle[endpoint], let connection = connections.popLast() {
            idle[endpoint] = connections.isEmpty ? nil : connections
            if connection.channel.isActive { return connection }
        }
        return nil
    }

    /// Keeps a connection whose exchange ended cleanly for the next stream (or closes it when
    /// the pool is full or its client connection has gone).
    func release(_ connection: Connection, endpoint: ProxyConfiguration.Endpoint) {
        guard !closed, connection.channel.isActive,
              idle[endpoint, default: []].count < Self.maximumIdlePerEndpoint else {
            connection.channel.close(promise: nil)
            return
        }
        connection.handler.owner = nil
        // A read held while the last client stream could take no more is let go: idle, it reads.
        connection.handler.resumeReading()
        idle[endpoint, default: []].append(connection)
    }

    /// The client connection ended: every idle connection closes, and any released later too.
    func close() {
        closed = true
        let connections = Array(idle.values.joined())
        idle = [:]
        for connection in connections { connection.channel.close(promise: nil) }
    }
}
