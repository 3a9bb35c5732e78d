import Testing
@testable import IAMScribeCore

@Suite("Service protocols")
struct ServiceProtocolTests {
    @Test("The table's services carry their protocol as a value", arguments: [
        ("s3", ServiceProtocol.restXML), ("lambda", .restJSON), ("dynamodb", .json), ("sqs", .json),
        ("sns", .query), ("ec2", .ec2),
    ])
    func bundled(_ name: String, _ expected: ServiceProtocol) throws {
        let service = try #require(ActionTable.bundled.service(named: name))
        #expect(service.wireProtocol == expected)
        #expect(service.wireProtocol.isREST == (expected == .restXML || expected == .restJSON))
    }

    @Test("The raw values are botocore's names")
    func rawValues() {
        #expect(ServiceProtocol.allCases.map(\.rawValue) == ["json", "query", "ec2", "rest-json", "rest-xml", "smithy-rpc-v2-cbor"])
    }

    @Test("A table naming a protocol iamscribe does not know is invalid, naming the line")
    func unknownProtocol() {
        let text = "V\t1\tpins\nS\tx\tX\tx\tsoap\t\tx\tx\t0\tx\n"
        #expect {
            _ = try ActionTable(bytes: Array(text.utf8))
        } throws: { error in
            "\(error)".contains("line 2: unknown protocol 'soap'")
        }
    }
}
