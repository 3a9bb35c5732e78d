import FuzzSupport
@testable import IAMScribeCore

/// Checks what an ``HTTPStreamParser`` reports: heads and message ends alternate, a kept body is
/// no larger than asked, and every part of a head the decoders read lies inside it.
private final class Checker: HTTPStreamDelegate {
    var keep: Int
    var open = false
    var messages = 0

    init(keep: Int) {
        self.keep = keep
    }

    func httpHead(_ parser: HTTPStreamParser, _ head: HTTPHead, framing: HTTPStreamParser.Framing) -> HTTPBodyPlan {
        require(!open, "a head before the previous message ended")
        open = true
        var sum = 0
        for range in [head.method, head.target] + head.fields.flatMap({ [$0.name, $0.value] }) {
            require(range.lowerBound >= 0 && range.upperBound <= head.bytes.count, "a range outside the head")
            sum &+= head.slice(range).reduce(0) { $0 &+ Int($1) }
        }
        for field in HTTPHead.CommonField.allCases { sum &+= head.value(of: field)?.count ?? 0 }
        sum &+= head.value(ofLowercased: Array("x-amz-date".utf8))?.count ?? 0
        if case .length(let count) = framing { require(count >= 0, "a negative length") }
        if parser.role == .response {
            require((0...999).contains(head.status), "status \(head.status)")
            if head.status == 204 || head.status == 304 || head.status < 200 { return .none }
        }
        withExtendedLifetime(sum) {}
        return .framed(keep: keep)
    }

    func httpMessageEnd(_ parser: HTTPStreamParser, body: UnsafeRawBufferPointer?, complete: Bool) {
        require(open, "a message end without a head")
        open = false
        messages += 1
        if let body { require(body.count <= keep, "kept \(body.count) body bytes, more than \(keep)") }
    }

    func httpLostSync(_ parser: HTTPStreamParser, partialHead: Bool) {
        require(!open, "lost sync inside a message that was not ended")
    }
}

/// One direction of an HTTP/1.x stream through ``HTTPStreamParser``, fed in pieces, with gaps.
///
/// Input: a control byte (bit 0: request or response stream; bits 1-2: how much body to keep;
/// bits 3-7: the piece size, 1 to 32, or the whole rest when 0), a byte that puts a gap of
/// (byte % 8) + 1 missing bytes after every (byte / 8)th piece (never when 0), then the stream.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let control = input.byte()
    let gaps = input.byte()
    let checker = Checker(keep: [0, 1, 64, 1 << 20][Int(control >> 1) & 3])
    let parser = HTTPStreamParser(role: control & 1 == 0 ? .request : .response, delegate: checker)
    parser.maximumHeadBytes = 1024
    let pieceSize = Int(control >> 3)
    var piece = 0
    while !input.isEmpty {
        parser.receive(input.bytes(pieceSize == 0 ? Int.max : pieceSize))
        piece += 1
        if gaps >= 8, piece % Int(gaps / 8) == 0 { parser.gap(Int(gaps % 8) + 1) }
        if piece % 7 == 3, !input.isEmpty { parser.abandonBodyIfNotStarted() }
    }
    parser.finish()
    require(!checker.open, "a message still open after finish")
    withExtendedLifetime(checker) {}
    return 0
}
