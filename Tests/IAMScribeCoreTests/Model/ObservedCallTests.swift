import Foundation
@testable import IAMScribeCore
import Testing

@Suite("Observed calls")
struct ObservedCallTests {
    static let full = ObservedCall(
        source: .pcap, time: Date(timeIntervalSince1970: 1_700_000_000.25), service: "s3", operation: "PutObject",
        region: "eu-west-1", httpStatus: 403, errorCode: "AccessDenied", clientID: "worker",
        accessKeyID: AccessKeyID("AKIAIOSFODNN7EXAMPLE"), endpoint: "b.s3.eu-west-1.amazonaws.com",
        parameters: ["Bucket": "b", "Key": "k"])

    @Test("Copies are values: changing one leaves the others as they were")
    func copyOnWrite() {
        let original = Self.full
        var copy = original
        copy.operation = "GetObject"
        copy.parameters?["Key"] = "other"
        copy.httpStatus = nil
        #expect(original.operation == "PutObject")
        #expect(original.parameters == ["Bucket": "b", "Key": "k"])
        #expect(original.httpStatus == 403)
        #expect(copy.parameters == ["Bucket": "b", "Key": "other"])
        #expect(copy != original)
        var same = copy
        same.operation = "GetObject"
        #expect(same == copy)
        #expect(same.hashValue == copy.hashValue)
        #expect(Set([original, copy, same]).count == 2)
    }

    @Test("JSON keeps every field, and leaves out the absent ones")
    func codable() throws {
        let data = try JSONEncoder().encode(Self.full)
        #expect(try JSONDecoder().decode(ObservedCall.self, from: data) == Self.full)
        let bare = ObservedCall(source: .csm, time: Date(timeIntervalSince1970: 5), service: "sts", operation: "GetCallerIdentity")
        let text = String(decoding: try JSONEncoder().encode(bare), as: UTF8.self)
        #expect(!text.contains("region") && !text.contains("parameters") && text.contains("\"operation\""))
        #expect(try JSONDecoder().decode(ObservedCall.self, from: Data(text.utf8)) == bare)
    }
}
