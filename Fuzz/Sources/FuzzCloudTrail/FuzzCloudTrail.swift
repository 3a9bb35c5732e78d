import Foundation
import FuzzSupport
import IAMScribeCore

/// CloudTrail input through ``CloudTrailReader/read(bytes:name:options:)``: a delivered log file,
/// JSON lines or an array of events, gzip or not, or an Athena result. Any bytes give calls and
/// diagnostics, never a crash; no more distinct calls than events taken.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    _ = CloudTrailReader.looksLikeCloudTrail(bytes)
    let result = CloudTrailReader.read(bytes: bytes, name: "fuzz.json")
    require(result.calls.count <= result.statistics.calls, "more distinct calls than calls")
    require(result.statistics.calls <= result.statistics.records, "more calls than events")
    return 0
}
