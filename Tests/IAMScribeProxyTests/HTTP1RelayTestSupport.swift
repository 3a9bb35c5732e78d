import Foundation
import Testing

/// Scripts/lib/scripted_upstream.py on a free loopback port (plain, or TLS for `localhost` with a
/// certificate from a CA of its own): answers each request with exact bytes, in the order given
/// (or the first answer whose `match` is in the request line), and logs the raw bytes of every
/// request it read, so that a test can say exactly what went upstream.
final class ScriptedUpstream {
    /// One step of an answer.
    enum Step {
        /// These bytes (ASCII text), `piece` bytes at a time with `pause` seconds between pieces.
        case send(String, piece: Int? = nil, pause: Double = 0)
        case sleep(Double)
        /// Closes the connection (with a TLS close_notify first).
        case close
    }

    /// The answer to one request.
    struct Answer {
        var match: String?
        var steps: [Step]

        init(match: String? = nil, _ steps: [Step]) {
            self.match = match
            self.steps = steps
        }

        /// These bytes, all at once.
        static func bytes(_ text: String, match: String? = nil) -> Answer { Answer(match: match, [.send(text)]) }
    }

    /// One line of the log.
    struct Entry: Decodable {
        let connection: Int
        let event: String?
        let request: String?
        let stray: String?
        let why: String?
    }

    static let script = ProxyTestSupport.root.appendingPathComponent("Scripts/lib/scripted_upstream.py").path

    let port: Int
    let tls: Bool
    /// The CA that signed the TLS certificate (nil for plain TCP).
    let caFile: String?
    private let folder: String
    private let process: Process

    init(_ answers: [Answer], tls: Bool = false) throws {
        self.tls = tls
        var arguments = ["python3", Self.script]
        if tls {
            let (folder, caFile) = try ProxyTestSupport.localhostCertificate("scripted-upstream")
            self.folder = folder
            self.caFile = caFile
            arguments += ["--cert", folder + "/server.pem", "--key", folder + "/server-key.pem"]
        } else {
            folder = try ProxyTestSupport.temporaryFolder("scripted-upstream")
            caFile = nil
        }
        let steps = answers.map { answer -> [String: Any] in
            var object: [String: Any] = ["steps": answer.steps.map { step -> [String: Any] in
                switch step {
                case .send(let text, let piece, let pause):
                    var send: [String: Any] = ["send": Data(text.utf8).base64EncodedString(), "pause": pause]
                    if let piece { send["piece"] = piece }
                    return send
                case .sleep(let seconds): return ["sleep": seconds]
                case .close: return ["close": true]
                }
            }]
            if let match = answer.match { object["match"] = match }
            return object
        }
        try JSONSerialization.data(withJSONObject: ["answers": steps]).write(to: URL(fileURLWithPath: folder + "/script.json"))
        arguments += ["--script", folder + "/script.json", "--log", folder + "/log.jsonl"]
        (process, port) = try TestServer.start(arguments, what: "the scripted upstream")
    }

    deinit {
        // SIGKILL: a child of a test thread may start with every other signal blocked.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// What `--forward-to` takes to send every intercepted request here.
    var url: String { tls ? "https://localhost:\(port)" : "http://127.0.0.1:\(port)" }

    /// A proxy that forwards every intercepted request here (trusting this upstream's CA).
    func proxy() throws -> RunningProxy {
        try RunningProxy(forwardTo: url, upstreamCAFile: caFile)
    }

    /// The log so far.
    var log: [Entry] {
        guard let data = FileManager.default.contents(atPath: folder + "/log.jsonl") else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONDecoder().decode(Entry.self, from: Data($0.utf8))
        }
    }

    /// Every whole request received, as its raw bytes (ASCII text), in the order they came.
    var requests: [String] { log.compactMap { $0.request.flatMap(Self.text) } }

    /// Bytes that came but made no whole request, each with why.
    var stray: [String] { log.compactMap { entry in entry.stray.map { "\(entry.why ?? ""): \(Self.text($0) ?? $0)" } } }

    /// Requests that found no scripted answer.
    var unscripted: Int { log.count { $0.event == "unscripted" } }

    private static func text(_ base64: String) -> String? {
        Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Scripts/lib/tunnel_client.py: a TLS client that opens a `CONNECT` tunnel through the proxy
/// (trusting its CA, ALPN `http/1.1`) and sends and waits for exact bytes in turn.
enum TunnelClient {
    enum Step {
        /// These bytes (ASCII text), `piece` bytes at a time with `pause` seconds between pieces.
        case send(String, piece: Int? = nil, pause: Double = 0)
        /// Reads until these bytes have come after those waited for before (at most `timeout` s).
        case until(String, timeout: Double = 10)
        case sleep(Double)
        /// Closes the connection: the client stops here instead of waiting for the proxy to close.
        case close
    }

    struct Result {
        /// Everything that came back through the tunnel.
        let received: String
        /// Whether the proxy closed the connection.
        let closed: Bool
        /// The indexes of the `until` steps whose bytes never came.
        let timeouts: [Int]
        let stderr: String
    }

    static let script = ProxyTestSupport.root.appendingPathComponent("Scripts/lib/tunnel_client.py").path

    /// Runs the steps through a tunnel to `host`; unless they end with ``Step/close``, reads on
    /// until the proxy closes the connection (or 10 seconds pass).
    static func run(_ proxy: RunningProxy, host: String, _ steps: [Step]) throws -> Result {
        let folder = try ProxyTestSupport.temporaryFolder("tunnel-client")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let objects = steps.map { step -> [String: Any] in
            switch step {
            case .send(let text, let piece, let pause):
                var send: [String: Any] = ["send": Data(text.utf8).base64EncodedString(), "pause": pause]
                if let piece { send["piece"] = piece }
                return send
            case .until(let text, let timeout): return ["until": Data(text.utf8).base64EncodedString(), "timeout": timeout]
            case .sleep(let seconds): return ["sleep": seconds]
            case .close: return ["close": true]
            }
        }
        let file = folder + "/steps.json"
        try JSONSerialization.data(withJSONObject: objects).write(to: URL(fileURLWithPath: file))
        let output = try ProxyTestSupport.run(["python3", script, String(proxy.source.port ?? 0), host, proxy.bundle, file])
        guard output.status == 0,
              let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
              let received = (object["received"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
            throw TestFailure("the tunnel client failed (\(output.status)): \(output.stdout) \(output.stderr)")
        }
        return Result(received: String(decoding: received, as: UTF8.self), closed: object["closed"] as? Bool ?? false,
                      timeouts: object["timeouts"] as? [Int] ?? [], stderr: output.stderr)
    }
}

/// The body of a chunked message (what follows its head), without its framing; nil when the
/// framing is broken.
func dechunked(_ body: String) -> String? {
    var rest = Substring(body)
    var result = ""
    while let lineEnd = rest.range(of: "\r\n") {
        let sizeText = rest[..<lineEnd.lowerBound].split(separator: ";", maxSplits: 1).first ?? ""
        guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
        rest = rest[lineEnd.upperBound...]
        if size == 0 { return result }
        guard rest.utf8.count >= size + 2 else { return nil }
        let end = rest.utf8.index(rest.startIndex, offsetBy: size)
        result += rest[..<end]
        // By UTF-8 offset: "\r\n" is one Character.
        rest = rest[rest.utf8.index(end, offsetBy: 2)...]
    }
    return nil
}
