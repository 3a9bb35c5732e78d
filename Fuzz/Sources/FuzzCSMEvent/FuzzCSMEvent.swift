import FuzzSupport
import IAMScribeCore

/// One CSM datagram line through ``CSMEventParser``: any bytes give an event or a rejection, never
/// a crash; an event names a service and an operation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    switch CSMEventParser.parse(UnsafeBufferPointer(start: data, count: size)) {
    case .success(let event):
        require(!event.service.isEmpty && !event.api.isEmpty, "an event without a service or an operation: \(event)")
        // The String entry point reads the same bytes the same way when they are valid UTF-8.
        let bytes = Array(UnsafeBufferPointer(start: data, count: size))
        if let text = String(validating: bytes, as: UTF8.self) {
            require(CSMEventParser.parse(text) == .success(event), "parse(String) differs from parse(bytes)")
        }
    case .failure:
        break
    }
    return 0
}
