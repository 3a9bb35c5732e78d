import Foundation
@testable import IAMScribeProxy
import IAMScribeCore
import Testing

/// An upstream HTTP/2 connection the endpoint ends with a graceful `GOAWAY`: its open streams
/// finish on it, and the streams that come after go on a new connection. The endpoint is the Go
/// one started with `-goaway-after N` (Go's HTTP/2 server sends `GOAWAY` for one connection when
/// an answer carries `Connection: close`); each answer names the connection it came on (in the
/// order the endpoint accepted them) and which request of that connection it was.
extension HTTP2UpstreamTests {
    @Test func streamsAfterAGOAWAYGoOnANewUpstreamConnection() throws {
        let endpoint = try Endpoint(goAwayAfter: 2)
        let proxy = try endpoint.proxy()
        // curl sends the six one after another on one HTTP/2 connection to the proxy; the
        // endpoint ends each upstream connection on its second request.
        let urls = (1...6).map { "https://drained.s3.us-east-1.amazonaws.com/key\($0)" }
        let result = try curl(proxy, urls)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "\n2 200\n").count - 1 == 6, "\(result.stdout)")
        let seen = answers(result.stdout)
        #expect(seen.count == 6, "\(result.stdout)")
        #expect(seen.allSatisfy { $0["proto"] as? String == "HTTP/2.0" }, "\(result.stdout)")
        #expect(seen.compactMap { $0["path"] as? String } == (1...6).map { "/key\($0)" }, "\(result.stdout)")
        // Two requests a connection, three connections, each accepted after the last went away.
        #expect(seen.compactMap { $0["connection"] as? Int } == [1, 1, 2, 2, 3, 3], "\(result.stdout)")
        #expect(seen.compactMap { $0["request"] as? Int } == [1, 2, 1, 2, 1, 2], "\(result.stdout)")
        #expect(Set(seen.compactMap(port)).count == 3, "\(result.stdout)")
        #expect(proxy.statistics.connections == 1, "\(proxy.statistics)")
        #expect(proxy.statistics.http2UpstreamConnections == 3, "\(proxy.statistics)")
        #expect(proxy.statistics.http2UpstreamStreams == 6, "\(proxy.statistics)")
        #expect(proxy.statistics.upstreamFailures == 0, "\(proxy.statistics)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 6 })
        #expect(proxy.calls.compactMap { $0.parameters?["Key"] }.sorted() == (1...6).map { "key\($0)" })
        #expect(proxy.calls.allSatisfy { $0.operation == "GetObject" && $0.httpStatus == 200 })
    }

    @Test func aStreamOpenAtTheGOAWAYFinishesWhileTheNextGoesOnANewConnection() throws {
        let endpoint = try Endpoint(goAwayAfter: 1)
        let proxy = try endpoint.proxy()
        // The Go client, on one HTTP/2 connection to the proxy: the first answer's head and
        // first line (the endpoint sent GOAWAY before them), then the whole second request,
        // then the rest of the first, which the endpoint sends only once the second came.
        let output = try goClient(proxy, [
            "overlap",
            "-first", "https://draining.s3.us-east-1.amazonaws.com/open/until-next",
            "-second", "https://draining.s3.us-east-1.amazonaws.com/after-goaway",
        ])
        #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
                                  "\(output.stdout) \(output.stderr)")
        #expect(result["firstProto"] as? String == "HTTP/2.0")
        #expect(result["firstStatus"] as? Int == 200)
        #expect(result["firstHead"] as? String == "first connection 1 request 1\n", "\(output.stdout)")
        // The first stream finished intact on the connection that had gone away...
        #expect(result["firstRest"] as? String == "rest connection 1 request 1\n", "\(output.stdout)")
        // ...while the second went on a new one.
        #expect(result["secondStatus"] as? Int == 200, "\(output.stdout)")
        let second = try #require(answers(result["second"] as? String ?? "").first, "\(output.stdout)")
        #expect(second["proto"] as? String == "HTTP/2.0")
        #expect(second["path"] as? String == "/after-goaway")
        #expect(second["connection"] as? Int == 2, "\(output.stdout)")
        #expect(second["request"] as? Int == 1, "\(output.stdout)")
        #expect(proxy.statistics.connections == 1, "\(proxy.statistics)")
        #expect(proxy.statistics.http2UpstreamConnections == 2, "\(proxy.statistics)")
        #expect(proxy.statistics.http2UpstreamStreams == 2, "\(proxy.statistics)")
        #expect(proxy.statistics.upstreamFailures == 0, "\(proxy.statistics)")
        #expect(proxy.statistics.http2StreamsReset.isEmpty, "\(proxy.statistics)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 2 })
        #expect(Set(proxy.calls.compactMap { $0.parameters?["Key"] }) == ["open/until-next", "after-goaway"])
        #expect(proxy.calls.allSatisfy { $0.httpStatus == 200 })
    }

    /// Known issue: streams the proxy had already opened on a connection when its endpoint's
    /// `GOAWAY` came, with ids above the frame's last stream id, were never processed by the
    /// endpoint (RFC 9113, 6.8: safe to retry), yet each client stream gets a 502 instead of
    /// going again on a new connection. Go's server sends `GOAWAY` on the second request here
    /// while curl's other ten streams are on their way; it ignores them.
    @Test func concurrentStreamsTheEndpointLeftUnprocessedAtAGOAWAYAreAnsweredAndCounted() throws {
        let endpoint = try Endpoint(goAwayAfter: 2)
        let proxy = try endpoint.proxy()
        let urls = (1...12).map { "https://drained.s3.us-east-1.amazonaws.com/key\($0)" }
        let result = try curl(proxy, ["--parallel", "--parallel-max", "12"] + urls)
        #expect(result.status == 0, "\(result.stderr)")
        // Every stream is answered, by the endpoint or by the proxy saying why...
        let succeeded = result.stdout.components(separatedBy: "\n2 200\n").count - 1
        let failed = result.stdout.components(separatedBy: "\n2 502\n").count - 1
        #expect(succeeded + failed == 12, "\(result.stdout)")
        #expect(answers(result.stdout).count == succeeded, "\(result.stdout)")
        #expect(result.stdout.components(separatedBy: "sent GOAWAY before it processed this request").count - 1 == failed,
                "\(result.stdout)")
        // ...every answered call is recorded, every failure counted, and the client connection
        // and the proxy outlive it.
        try #require(ProxyTests.waitFor { proxy.calls.count == succeeded }, "\(proxy.calls.count) calls, \(succeeded) answers")
        #expect(proxy.statistics.upstreamFailures == failed, "\(proxy.statistics)")
        #expect(proxy.statistics.connections == 1, "\(proxy.statistics)")
        let after = try curl(proxy, ["https://drained.s3.us-east-1.amazonaws.com/after"])
        #expect(after.stdout.hasSuffix("\n2 200\n"), "\(after.stdout) \(after.stderr)")
        // What should happen: the unprocessed streams go again on a new connection. Intermittent:
        // whether curl's streams reach the endpoint before its GOAWAY is up to timing.
        withKnownIssue("streams refused by an upstream GOAWAY are not retried (a 502 each)", isIntermittent: true) {
            #expect(failed == 0, "\(result.stdout)")
        }
    }
}
