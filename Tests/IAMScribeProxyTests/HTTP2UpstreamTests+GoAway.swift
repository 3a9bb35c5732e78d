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

    /// Streams the proxy had already opened on a connection when its endpoint's `GOAWAY` came,
    /// with ids above the frame's last stream id, were never processed by the endpoint (RFC
    /// 9113, 6.8): each goes again on a new connection. Go's server sends `GOAWAY` on the fourth
    /// request of each connection here while curl's other streams are on their way; it ignores
    /// those. How many it ignores is up to timing, but every connection processes at least four
    /// of the twelve, so a request left unprocessed twice saw eight others processed: none is
    /// left unprocessed a third time (the proxy sends a request again twice at most), and
    /// every stream must succeed, on three connections at most.
    @Test func concurrentStreamsTheEndpointLeftUnprocessedAtAGOAWAYGoAgain() throws {
        let endpoint = try Endpoint(goAwayAfter: 4)
        let proxy = try endpoint.proxy()
        let urls = (1...12).map { "https://drained.s3.us-east-1.amazonaws.com/key\($0)" }
        let result = try curl(proxy, ["--parallel", "--parallel-max", "12"] + urls)
        #expect(result.status == 0, "\(result.stderr)")
        let succeeded = result.stdout.components(separatedBy: "\n2 200\n").count - 1
        #expect(succeeded == 12, "\(result.stdout)")
        #expect(!result.stdout.contains("sent GOAWAY before it processed this request"), "\(result.stdout)")
        let seen = answers(result.stdout)
        #expect(Set(seen.compactMap { $0["path"] as? String }) == Set((1...12).map { "/key\($0)" }), "\(result.stdout)")
        let statistics = proxy.statistics
        #expect(statistics.upstreamFailures == 0, "\(statistics)")
        // Each retry is a stream of its own, on a connection after the one that went away.
        #expect(statistics.http2UpstreamStreams == 12 + statistics.http2UpstreamRetries, "\(statistics)")
        #expect(statistics.http2UpstreamConnections <= 3, "\(statistics)")
        #expect(statistics.http2UpstreamConnections >= 1 + (statistics.http2UpstreamRetries > 0 ? 1 : 0), "\(statistics)")
        #expect(statistics.connections == 1, "\(statistics)")
        // Each call recorded once, with the final status.
        try #require(ProxyTests.waitFor { proxy.calls.count == 12 }, "\(proxy.calls.count) calls")
        #expect(proxy.calls.compactMap { $0.parameters?["Key"] }.sorted() == (1...12).map { "key\($0)" }.sorted())
        #expect(proxy.calls.allSatisfy { $0.httpStatus == 200 })
        let after = try curl(proxy, ["https://drained.s3.us-east-1.amazonaws.com/after"])
        #expect(after.stdout.hasSuffix("\n2 200\n"), "\(after.stdout) \(after.stderr)")
    }

    // MARK: - An endpoint whose GOAWAY leaves every stream unprocessed

    @Test func anUploadTheEndpointLeftUnprocessedGoesAgainWholeOnANewConnection() throws {
        let endpoint = try GoAwayEndpoint(refusing: 1)
        let proxy = try endpoint.proxy()
        let folder = try ProxyTestSupport.temporaryFolder("goaway-retry")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let body = String(repeating: "retried body ", count: 1500)
        try body.write(toFile: folder + "/body.txt", atomically: true, encoding: .utf8)
        let result = try curl(proxy, ["-T", folder + "/body.txt", "https://retried.s3.us-east-1.amazonaws.com/reports/again.txt"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasSuffix("\n2 200\n"), "\(result.stdout)")
        let answer = try #require(answers(result.stdout).first, "\(result.stdout)")
        // The first connection went away without processing it; the second got all of it.
        #expect(answer["connection"] as? Int == 2, "\(result.stdout)")
        #expect(answer["path"] as? String == "/reports/again.txt", "\(result.stdout)")
        #expect(answer["received"] as? Int == body.utf8.count, "\(result.stdout)")
        #expect(endpoint.seen.goAways.withLock { $0 } == 1)
        #expect(endpoint.seen.refusedAfter.withLock { $0 } == [body.utf8.count])
        let statistics = proxy.statistics
        #expect(statistics.http2UpstreamRetries == 1, "\(statistics)")
        #expect(statistics.http2UpstreamConnections == 2, "\(statistics)")
        #expect(statistics.http2UpstreamStreams == 2, "\(statistics)")
        #expect(statistics.upstreamFailures == 0, "\(statistics)")
        // Recorded once, with the answer that came.
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        usleep(300_000)
        #expect(proxy.calls.count == 1)
        let call = try #require(proxy.calls.first)
        #expect(call.operation == "PutObject")
        #expect(call.httpStatus == 200)
        #expect(call.parameters?["Key"] == "reports/again.txt")
    }

    @Test func aConnectionThatWentAwayClosesWithItsClientConnection() throws {
        // The endpoint leaves the connection it sent GOAWAY on open: the proxy closes it (and
        // the one that answered) once curl's connection ends.
        let endpoint = try GoAwayEndpoint(refusing: 1, closesAfterGoAway: false)
        let proxy = try endpoint.proxy()
        let result = try curl(proxy, ["https://retried.s3.us-east-1.amazonaws.com/left-open"])
        #expect(result.stdout.hasSuffix("\n2 200\n"), "\(result.stdout) \(result.stderr)")
        #expect(answers(result.stdout).first?["connection"] as? Int == 2, "\(result.stdout)")
        #expect(proxy.statistics.http2UpstreamRetries == 1, "\(proxy.statistics)")
        #expect(ProxyTests.waitFor { endpoint.seen.closed.withLock { $0 } == 2 }, "\(endpoint.seen.closed.withLock { $0 }) closed")
    }

    @Test func aStreamedUploadOfExactlyWhatIsKeptGoesAgainWhole() throws {
        let endpoint = try GoAwayEndpoint(refusing: 1)
        let proxy = try endpoint.proxy()
        // A pipe as the body: no content-length, the body in parts as it comes.
        let size = ExchangeHandler.maximumReplayBytes
        let output = try goClient(proxy, ["upload", "-size", String(size), "-url", "https://retried.s3.us-east-1.amazonaws.com/kept.bin"])
        #expect(output.status == 0, "\(output.stdout) \(output.stderr)")
        #expect(output.stdout.hasPrefix("HTTP/2.0 200 "), "\(output.stdout)")
        let answer = try #require(answers(output.stdout).first, "\(output.stdout)")
        #expect(answer["connection"] as? Int == 2, "\(output.stdout)")
        #expect(answer["received"] as? Int == size, "\(output.stdout)")
        #expect(endpoint.seen.refusedAfter.withLock { $0 } == [size])
        #expect(proxy.statistics.http2UpstreamRetries == 1, "\(proxy.statistics)")
        #expect(proxy.statistics.upstreamFailures == 0, "\(proxy.statistics)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.parameters?["Key"] == "kept.bin")
        #expect(proxy.calls.first?.httpStatus == 200)
    }

    @Test func aStreamedUploadLargerThanWhatIsKeptGetsA502ThatSaysWhy() throws {
        // The endpoint goes away once it has more body than the proxy keeps: it cannot go again.
        let size = ExchangeHandler.maximumReplayBytes + 1
        let endpoint = try GoAwayEndpoint(refusing: 1, refuseAfter: size)
        let proxy = try endpoint.proxy()
        let output = try goClient(proxy, ["upload", "-size", String(size * 4), "-url", "https://retried.s3.us-east-1.amazonaws.com/large.bin"])
        #expect(output.stdout.hasPrefix("HTTP/2.0 502 "), "\(output.stdout) \(output.stderr)")
        #expect(output.stdout.contains("sent GOAWAY before it processed this request"), "\(output.stdout)")
        #expect(output.stdout.contains("keeps the first 64 KiB of a request's body to send it again"), "\(output.stdout)")
        #expect(endpoint.seen.refusedAfter.withLock { $0 }.allSatisfy { $0 >= size }, "\(endpoint.seen.refusedAfter.withLock { $0 })")
        #expect(proxy.statistics.http2UpstreamRetries == 0, "\(proxy.statistics)")
        #expect(proxy.statistics.upstreamFailures == 1, "\(proxy.statistics)")
        #expect(proxy.statistics.lastUpstreamFailure?.contains("sent GOAWAY before it processed") == true, "\(proxy.statistics)")
        // The next request, small, goes on a new connection, which answers.
        let after = try curl(proxy, ["https://retried.s3.us-east-1.amazonaws.com/after"])
        #expect(after.stdout.hasSuffix("\n2 200\n"), "\(after.stdout) \(after.stderr)")
        #expect(answers(after.stdout).first?["connection"] as? Int == 2, "\(after.stdout)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.parameters?["Key"] == "after")
    }

    @Test func aRequestIsSentAgainTwiceAtMost() throws {
        // Two connections go away: the third answers.
        let twice = try GoAwayEndpoint(refusing: ExchangeHandler.maximumRetries)
        let proxy = try twice.proxy()
        let result = try curl(proxy, ["https://retried.s3.us-east-1.amazonaws.com/twice"])
        #expect(result.stdout.hasSuffix("\n2 200\n"), "\(result.stdout) \(result.stderr)")
        #expect(answers(result.stdout).first?["connection"] as? Int == ExchangeHandler.maximumRetries + 1, "\(result.stdout)")
        #expect(proxy.statistics.http2UpstreamRetries == ExchangeHandler.maximumRetries, "\(proxy.statistics)")
        try #require(ProxyTests.waitFor { proxy.calls.count == 1 })
        #expect(proxy.calls.first?.httpStatus == 200)

        // Three go away: the request gets a 502 after its second retry, saying so.
        let always = try GoAwayEndpoint(refusing: ExchangeHandler.maximumRetries + 1)
        let refused = try always.proxy()
        let failed = try curl(refused, ["https://retried.s3.us-east-1.amazonaws.com/always"])
        #expect(failed.stdout.hasSuffix("\n2 502\n"), "\(failed.stdout) \(failed.stderr)")
        #expect(failed.stdout.contains("sent GOAWAY before it processed this request"), "\(failed.stdout)")
        #expect(failed.stdout.contains("iamscribe sent it again 2 times"), "\(failed.stdout)")
        #expect(always.seen.goAways.withLock { $0 } == ExchangeHandler.maximumRetries + 1)
        #expect(refused.statistics.http2UpstreamRetries == ExchangeHandler.maximumRetries, "\(refused.statistics)")
        #expect(refused.statistics.http2UpstreamConnections == ExchangeHandler.maximumRetries + 1, "\(refused.statistics)")
        #expect(refused.statistics.upstreamFailures == 1, "\(refused.statistics)")
        #expect(refused.calls.isEmpty)
    }
}
