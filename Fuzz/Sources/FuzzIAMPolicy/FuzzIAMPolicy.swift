import Foundation
import FuzzSupport
import IAMScribeCore

/// A policy file through ``IAMPolicy/parse(_:source:)``: a document, the output of the IAM
/// commands that wrap one, or a URL-encoded document. Any bytes give a policy or an error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let policy = try? IAMPolicy.parse(Data(bytes: data, count: size), source: "fuzz.json") else { return 0 }
    for statement in policy.statements {
        require(!statement.actions.isEmpty, "a statement without actions")
    }
    _ = policy.unknownActionWarnings()
    return 0
}
