import Foundation
import Testing
import TestSupport

/// The moto-over-TLS fixture the proxy tests stand on: it serves a certificate for 127.0.0.1 and
/// localhost that verifies against its CA file and against nothing else.
@Suite("moto over TLS, the proxy tests' upstream",
       .enabled(if: TLSMoto.available, "needs moto_server, openssl and curl (Scripts/setup)"))
struct TLSMotoTests {
    private func curl(_ arguments: [String]) throws -> Binary.Result {
        try Binary.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}"] + arguments, executable: "/usr/bin/env")
    }

    @Test("curl verifies it with the CA file, by address and by name; without it, or with another CA, it does not")
    func verifies() throws {
        let moto = try TLSMoto()
        let byAddress = try curl(["--cacert", moto.certificates.authority, moto.endpoint + "/"])
        #expect(byAddress.status == 0 && byAddress.stdout == "200", "\(byAddress.stderr)")
        let byName = try curl(["--cacert", moto.certificates.authority, moto.localhostEndpoint + "/"])
        #expect(byName.status == 0 && byName.stdout == "200", "\(byName.stderr)")
        // curl's exit status 60: the peer's certificate could not be verified.
        #expect(try curl([moto.endpoint + "/"]).status == 60)
        let other = try TestCertificates(commonName: "another CA")
        #expect(try curl(["--cacert", other.authority, moto.endpoint + "/"]).status == 60)
    }

    @Test("boto3 calls it with AWS_CA_BUNDLE set to the CA file")
    func boto3() throws {
        let moto = try TLSMoto()
        let script = "import boto3; print(boto3.client('sqs').create_queue(QueueName='tls')['QueueUrl'])"
        let result = try Binary.run(["python3", "-c", script], executable: "/usr/bin/env",
                                    environment: ClientWorkloads.environment(endpoint: moto.endpoint, caBundle: moto.certificates.authority))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("/tls"))
    }
}
