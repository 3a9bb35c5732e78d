import Foundation
import FuzzSupport
import IAMScribeCore

/// CSM event lines through ``CSMEventParser`` and into ``CSMCallAssembler``, with a small pending
/// limit and a clock the input drives, so that pairing, eviction and expiry all run.
///
/// Input: one control byte (the pending limit, 1 to 16), then event lines. A line may start with
/// `@N ` to move the clock N tenths of a second forward, which flushes the expired attempts.
///
/// Checked: every `ApiCall` gives exactly one call, and every attempt becomes at most one call of
/// its own (evicted, expired or flushed at the end), never more.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var assembler = CSMCallAssembler()
    assembler.maximumPending = Int(input.byte() % 16) + 1
    assembler.orphanAge = 10
    var now = Date(timeIntervalSince1970: 1_700_000_000)
    var calls = 0, apiCalls = 0, attempts = 0
    for line in input.lines() {
        var line = line
        if line.count > 1, line[0] == UInt8(ascii: "@") {
            let digits = line.dropFirst().prefix { $0 >= 0x30 && $0 <= 0x39 }.prefix(6)
            let tenths = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            now += Double(tenths) / 10
            line = UnsafeRawBufferPointer(rebasing: line[(1 + digits.count)...])
            calls += assembler.flush(now: now).count
        }
        guard case .success(let event) = CSMEventParser.parse(line.bindMemory(to: UInt8.self)) else { continue }
        let before = assembler.pendingCount
        let made = assembler.add(event, receivedAt: now)
        switch event.kind {
        case .apiCall:
            apiCalls += 1
            require(made.count == 1, "an ApiCall gave \(made.count) calls")
            require(made[0].service == event.service && made[0].operation == event.api, "the call is not the event's")
        case .apiCallAttempt:
            attempts += 1
            require(made.count <= 1, "an attempt gave \(made.count) calls")
            require(assembler.pendingCount <= assembler.maximumPending, "more attempts pending than the limit")
            require(assembler.pendingCount >= before || !made.isEmpty, "an attempt was lost")
        }
        calls += made.count
    }
    calls += assembler.flush().count
    require(assembler.pendingCount == 0, "attempts left after the final flush")
    require(calls >= apiCalls && calls <= apiCalls + attempts, "\(calls) calls from \(apiCalls) ApiCalls and \(attempts) attempts")
    return 0
}
