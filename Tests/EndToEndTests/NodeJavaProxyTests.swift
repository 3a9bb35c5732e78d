import Foundation
import Testing
import TestSupport

/// Whether node and a JDK are installed (Scripts/setup installs them).
enum RuntimeTools {
    static let available: Bool = ["node", "java", "javac", "keytool"].allSatisfy { name in
        (try? Binary.run(["-c", "command -v \(name)"], executable: "/bin/sh").status) == 0
    }
}

/// Node and Java through `--mode proxy` against moto over TLS, with the runtimes' own HTTP, TLS
/// and proxy stacks (the paths the JavaScript SDK v3 and the Java SDK v2 take; the SDKs
/// themselves are not packaged here): `Tests/Clients/node/client.js` (an `https.Agent` doing
/// CONNECT as hpagent's does, trust from `NODE_EXTRA_CA_CERTS`) and `Tests/Clients/java/Client.java`
/// (`java.net.http.HttpClient`, the proxy from `-Dhttps.proxyHost`, trust from a keytool trust
/// store). The Java commands are the README's blocks as written, with only the port, the client
/// and the test's upstream (`--forward-to` moto) put in. Each client is also shown to refuse the
/// connection without the trust the README gives it, so the trust path is really tested.
@Suite("Node and Java through the HTTPS proxy, as the README says", .serialized,
       .enabled(if: TLSMoto.available && RuntimeTools.available,
                "needs moto_server, openssl, curl, node and a JDK (java, javac, keytool) (Scripts/setup)"))
struct NodeJavaProxyTests {
    static let account = "123456789012"
    static let nodeClient = Workloads.root.appendingPathComponent("Tests/Clients/node/client.js").path
    static let javaClient = Workloads.root.appendingPathComponent("Tests/Clients/java/Client.java").path

    /// The ARNs the Node client's calls name, by action (prefix: its first argument).
    static func nodeResources(_ prefix: String) -> [String: [String]] {
        [
            "dynamodb:CreateTable": ["arn:aws:dynamodb:us-east-1:\(account):table/\(prefix)-table"],
            "dynamodb:PutItem": ["arn:aws:dynamodb:us-east-1:\(account):table/\(prefix)-table"],
            "s3:CreateBucket": ["arn:aws:s3:::\(prefix)-bucket"],
            "s3:PutObject": ["arn:aws:s3:::\(prefix)-bucket/dir/object.txt"],
            "sqs:CreateQueue": ["arn:aws:sqs:us-east-1:\(account):\(prefix)-queue"],
            "sqs:SendMessage": ["arn:aws:sqs:us-east-1:\(account):\(prefix)-queue"],
        ]
    }

    /// The ARNs the Java client's calls name, by action.
    static func javaResources(_ prefix: String) -> [String: [String]] {
        [
            "dynamodb:CreateTable": ["arn:aws:dynamodb:us-east-1:\(account):table/\(prefix)-table"],
            "dynamodb:PutItem": ["arn:aws:dynamodb:us-east-1:\(account):table/\(prefix)-table"],
            "s3:CreateBucket": ["arn:aws:s3:::\(prefix)-bucket"],
            "sqs:CreateQueue": ["arn:aws:sqs:us-east-1:\(account):\(prefix)-queue"],
        ]
    }

    /// A folder for one test: its working directory, its IAMSCRIBE_HOME (a CA of its own, made by
    /// the first command that needs it), and `bin/iamscribe` (the binary under test, for PATH).
    final class Folder {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-jvmnode-\(UUID())").path
            try FileManager.default.createDirectory(atPath: path + "/bin", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: path + "/bin/iamscribe", withDestinationPath: Binary.path)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func read(_ name: String) -> String { (try? String(contentsOfFile: path + "/" + name, encoding: .utf8)) ?? "" }
    }

    /// A client's environment: fake credentials, no proxy or CA variables of the machine's (and no
    /// JAVA_HOME or JAVA_TOOL_OPTIONS: Debian leaves JAVA_HOME unset), iamscribe on PATH.
    static func environment(_ folder: Folder) -> [String: String] {
        var environment = ClientWorkloads.environment(endpoint: nil)
        for key in ["NO_PROXY", "no_proxy", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS",
                    "AWS_CA_BUNDLE", "JAVA_HOME", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "NODE_OPTIONS", "NODE_USE_ENV_PROXY"] {
            environment[key] = nil
        }
        environment["IAMSCRIBE_HOME"] = folder.path + "/home"
        environment["PATH"] = folder.path + "/bin:" + (environment["PATH"] ?? "/usr/bin:/bin")
        return environment
    }

    /// The first indented block of README.md after the paragraph that starts with `marker`, its
    /// lines unindented.
    static func readmeBlock(after marker: String) throws -> [String] {
        let readme = try String(contentsOf: Workloads.root.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: marker), "README.md has no paragraph starting \(marker)")
        var block: [String] = []
        for line in readme[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("    ") {
                block.append(String(line.dropFirst(4)))
            } else if !block.isEmpty {
                break
            }
        }
        return block
    }

    /// Replaces `old` in `text`, which must hold it (the README block changed otherwise).
    static func replacing(_ old: String, with new: String, in text: String) throws -> String {
        #expect(text.contains(old), "the README block no longer holds \(old): \(text)")
        return text.replacingOccurrences(of: old, with: new)
    }

    /// The options that send the proxy's intercepted calls to moto, with the account for ARNs.
    static func upstream(_ moto: TLSMoto) -> String {
        "--account-id \(account) --forward-to \(moto.endpoint) --upstream-ca '\(moto.certificates.authority)'"
    }

    // MARK: - Node

    @Test("Node through a proxy agent (CONNECT, Node's TLS, NODE_EXTRA_CA_CERTS as run sets it): exact actions and ARNs")
    func node() throws {
        let moto = try TLSMoto()
        let folder = try Folder()
        let result = try Binary.run(["run", "--mode", "proxy", "--account-id", Self.account, "--forward-to", moto.endpoint,
                                     "--upstream-ca", moto.certificates.authority, "--", "node", Self.nodeClient, "nodeagent"],
                                    environment: Self.environment(folder))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("client.js: 6 calls done"), "\(result.stderr)")
        #expect(try PcapCaptureTests.resourcesByAction(result.stdout) == Self.nodeResources("nodeagent"), "\(result.stdout)")
        #expect(!ClientWorkloads.leaksSecret(result.stdout + result.stderr))
    }

    @Test("Node refuses iamscribe's certificate without NODE_EXTRA_CA_CERTS; with it alone (also on an OpenSSL-store build, as Debian's) it trusts it")
    func nodeTrust() throws {
        let moto = try TLSMoto()
        let folder = try Folder()
        // Each case: the variables it removes from what run sets, node's options, whether it must succeed.
        // --use-openssl-ca makes Node verify with OpenSSL's store as Debian's nodejs package
        // always does, where SSL_CERT_FILE (which run also sets) is trusted too.
        let cases: [(name: String, unset: String, options: String, succeeds: Bool)] = [
            ("nodeextra", "-u SSL_CERT_FILE", "", true),
            ("nodenone", "-u SSL_CERT_FILE -u NODE_EXTRA_CA_CERTS", "", false),
            ("nodesslextra", "-u SSL_CERT_FILE", "--use-openssl-ca", true),
            ("nodesslnone", "-u SSL_CERT_FILE -u NODE_EXTRA_CA_CERTS", "--use-openssl-ca", false),
            ("nodesslfile", "-u NODE_EXTRA_CA_CERTS", "--use-openssl-ca", true),
        ]
        let script = cases.map { name, unset, options, _ in
            "env \(unset) node \(options) '\(Self.nodeClient)' \(name) 2> '\(folder.path)/\(name).err'; echo $? > '\(folder.path)/\(name).status'"
        }.joined(separator: "\n")
        let result = try Binary.run(["run", "--mode", "proxy", "--account-id", Self.account, "--forward-to", moto.endpoint,
                                     "--upstream-ca", moto.certificates.authority, "--", "/bin/sh", "-c", script],
                                    environment: Self.environment(folder))
        #expect(result.status == 0, "\(result.stderr)")
        var expected: [String: [String]] = [:]
        for (name, _, _, succeeds) in cases {
            let status = folder.read(name + ".status").trimmingCharacters(in: .whitespacesAndNewlines)
            let errors = folder.read(name + ".err")
            if succeeds {
                #expect(status == "0", "\(name): \(errors)")
                expected.merge(Self.nodeResources(name)) { $0 + $1 }
            } else {
                #expect(status == "1", "\(name): \(errors)")
                #expect(errors.contains("SELF_SIGNED_CERT_IN_CHAIN") || errors.contains("UNABLE_TO_GET_ISSUER_CERT"), "\(name): \(errors)")
            }
        }
        #expect(try PcapCaptureTests.resourcesByAction(result.stdout) == expected.mapValues { $0.sorted() }, "\(result.stdout)")
        #expect(result.stderr.contains("TLS handshake with the client failed"), "\(result.stderr)")
    }

    // MARK: - Java

    /// The README's `run` block for Java as a script: in `folder`, on `port`, with the test's
    /// upstream, running the Java client for `prefix`, writing the policy to policy.json.
    static func javaRunScript(_ moto: TLSMoto, folder: Folder, port: Int, prefix: String, http2: Bool = false) throws -> String {
        var script = try readmeBlock(after: "**Java** (AWS SDK for Java v2 and v1)").joined(separator: "\n")
        #expect(script.hasPrefix("iamscribe ca export > iamscribe-ca.pem\n"), "\(script)")
        script = try replacing("iamscribe run --mode proxy --listen 127.0.0.1:10080 --",
                               with: "iamscribe run --mode proxy --listen 127.0.0.1:10080 \(upstream(moto)) --output-file policy.json --",
                               in: script)
        script = try replacing("10080", with: String(port), in: script)
        script = try replacing("java -jar app.jar", with: "java '\(javaClient)' \(prefix)\(http2 ? " http2" : "")", in: script)
        return "set -e\ncd '\(folder.path)'\n" + script
    }

    @Test("Java (HttpClient, HTTP/1.1) with the README's run block word for word: a copy of cacerts plus the CA, JAVA_TOOL_OPTIONS")
    func javaRun() throws {
        let moto = try TLSMoto()
        let folder = try Folder()
        let script = try Self.javaRunScript(moto, folder: folder, port: Int(Loopback.freePort()), prefix: "javarun")
        let result = try Binary.run(["-c", script], executable: "/bin/sh", environment: Self.environment(folder))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("Picked up JAVA_TOOL_OPTIONS"), "\(result.stderr)")
        #expect(result.stderr.contains("Client.java: 4 calls done over HTTP_1_1"), "\(result.stderr)")
        #expect(try PcapCaptureTests.resourcesByAction(folder.read("policy.json")) == Self.javaResources("javarun"),
                "\(folder.read("policy.json"))")
        #expect(!ClientWorkloads.leaksSecret(result.stdout + result.stderr + folder.read("policy.json")))
        // The trust store is the JVM's roots plus iamscribe's CA (a failed copy of cacerts would
        // leave a store of the CA alone, which works here too: `&&` hides the failure from set -e).
        let listed = try Binary.run(["keytool", "-list", "-keystore", folder.path + "/iamscribe.jks", "-storepass", "changeit"],
                                    executable: "/usr/bin/env", environment: Self.environment(folder))
        let entries = listed.stdout.components(separatedBy: "trustedCertEntry").count - 1
        #expect(entries > 50 && listed.stdout.contains("iamscribe,"), "\(entries) entries: \(listed.stdout.prefix(500))")
    }

    @Test("Java's HttpClient as it comes (h2 offered in ALPN), the README's run block: the same calls recorded")
    func javaHTTP2Offered() throws {
        let moto = try TLSMoto()
        let folder = try Folder()
        let script = try Self.javaRunScript(moto, folder: folder, port: Int(Loopback.freePort()), prefix: "javah2", http2: true)
        let result = try Binary.run(["-c", script], executable: "/bin/sh", environment: Self.environment(folder))
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        // HTTP_2 once the proxy takes h2 in ALPN, HTTP_1_1 until then: either way, every call recorded.
        #expect(result.stderr.contains("Client.java: 4 calls done over HTTP_"), "\(result.stderr)")
        #expect(try PcapCaptureTests.resourcesByAction(folder.read("policy.json")) == Self.javaResources("javah2"),
                "\(folder.read("policy.json"))")
    }

    @Test("Java without the README's trust store refuses iamscribe's certificate (PKIX), and nothing is recorded")
    func javaWithoutTrustStore() throws {
        let moto = try TLSMoto()
        let folder = try Folder()
        var script = try Self.javaRunScript(moto, folder: folder, port: Int(Loopback.freePort()), prefix: "javanotrust")
        script = try Self.replacing(" -Djavax.net.ssl.trustStore=$PWD/iamscribe.jks -Djavax.net.ssl.trustStorePassword=changeit",
                                    with: "", in: script)
        let result = try Binary.run(["-c", script], executable: "/bin/sh", environment: Self.environment(folder))
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("PKIX path building failed"), "\(result.stderr)")
        #expect(try PcapCaptureTests.resourcesByAction(folder.read("policy.json")).isEmpty, "\(folder.read("policy.json"))")
        #expect(result.stderr.contains("TLS handshake with the client failed"), "\(result.stderr)")
    }

    @Test("Java with the README's record block: a trust store of the CA alone, -D properties, record --mode proxy")
    func javaRecord() throws {
        let moto = try TLSMoto()
        let folder = try Folder()
        let block = try Self.readmeBlock(after: "With `record` on its default port, a trust store of iamscribe's CA alone:")
        let recordLine = "iamscribe record --mode proxy --output-file policy.json &"
        let index = try #require(block.firstIndex(of: recordLine), "\(block)")
        let environment = Self.environment(folder)
        // Before the recorder: the CA and the trust store.
        let prepared = try Binary.run(["-c", "set -e\ncd '\(folder.path)'\n" + block[..<index].joined(separator: "\n")],
                                      executable: "/bin/sh", environment: environment)
        #expect(prepared.status == 0, "\(prepared.stderr)")
        // The recorder, with the test's port and upstream; then the client, once it listens.
        let port = Int(Loopback.freePort())
        let recorder = try Recorder(["record", "--mode", "proxy", "--listen", "127.0.0.1:\(port)", "--account-id", Self.account,
                                     "--forward-to", moto.endpoint, "--upstream-ca", moto.certificates.authority,
                                     "--output-file", folder.path + "/policy.json"], environment: environment)
        let listening = Workloads.wait(timeout: 30) { !recorder.process.isRunning || recorder.stderr.contains("HTTPS proxy on") }
        #expect(listening && recorder.process.isRunning, "\(recorder.stderr)")
        var client = block[(index + 1)...].joined(separator: "\n")
        client = try Self.replacing("10080", with: String(port), in: client)
        client = try Self.replacing("-jar app.jar", with: "'\(Self.javaClient)' javarecord", in: client)
        let result = try Binary.run(["-c", "set -e\ncd '\(folder.path)'\n" + client], executable: "/bin/sh", environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(recorder.stop(SIGINT) == 0, "\(recorder.stderr)")
        #expect(try PcapCaptureTests.resourcesByAction(folder.read("policy.json")) == Self.javaResources("javarecord"),
                "\(folder.read("policy.json"))")
        #expect(!ClientWorkloads.leaksSecret(recorder.stdout + recorder.stderr + result.stderr))
    }
}
