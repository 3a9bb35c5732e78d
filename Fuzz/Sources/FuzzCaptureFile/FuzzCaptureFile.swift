import Foundation
import FuzzSupport
@testable import IAMScribeCore

/// The file the classic-pcap file reader reads, rewritten for each input.
private let path = FileManager.default.temporaryDirectory
    .appendingPathComponent("iamscribe-fuzz-\(getpid()).pcap").path

/// A call as both readers must give it. A CSM event without a `Timestamp` is timed when it is
/// decoded (`Date()`), not when it was captured, so two reads differ there.
private func comparable(_ call: ObservedCall) -> ObservedCall {
    guard call.source == .csm else { return call }
    var call = call
    call.time = Date(timeIntervalSince1970: 0)
    return call
}

/// A capture file through ``CaptureFile``: classic pcap (either byte order, micro- or nanosecond
/// timestamps) read from memory and from a file, and pcapng or unusual files through libpcap.
///
/// Checked: the in-memory and the file reader of classic pcap give the same calls, statistics and
/// damage; both stop at damage with a reason rather than crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let inMemory = try? CaptureFile.read(bytes: bytes, name: "fuzz.pcap")
    guard CaptureFile.format(of: bytes) == .pcap, bytes.withUnsafeBytes({ PcapFileReader.header($0) }) != nil else {
        return 0
    }
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { fatalError("cannot write \(path)") }
    defer { unlink(path) }
    let fromFile = try? CaptureFile.read(path: path)
    require((inMemory == nil) == (fromFile == nil), "one reader failed, the other did not")
    if let inMemory, let fromFile {
        require(inMemory.calls.map(comparable) == fromFile.calls.map(comparable), "the readers give different calls")
        require(inMemory.statistics == fromFile.statistics, "the readers give different statistics")
        // The two name the file differently; what is wrong, and where in it, must agree.
        require(inMemory.damage?.message == fromFile.damage?.message && inMemory.damage?.location?.record == fromFile.damage?.location?.record,
                "the readers see different damage: \(inMemory.damage?.message ?? "none") / \(fromFile.damage?.message ?? "none")")
    }
    // libpcap reads the same file too; its account of damage may word things differently.
    _ = try? CaptureFile.read(bytes: bytes, name: "fuzz.pcap", reader: .libpcap)
    return 0
}
