import Foundation
@testable import IAMScribeCore
import Testing

@Suite("Connection table")
struct ConnectionTableTests {
    static func key(_ number: Int) -> ConnectionKey {
        // Few distinct addresses and ports: many keys share hash runs.
        ConnectionKey(first: IPAddress(v4: UInt32(0x0A00_0000 + number % 7)), second: IPAddress(v4: 0x3400_0001),
                      firstPort: UInt16(truncatingIfNeeded: 40_000 + number / 7), secondPort: 80)
    }

    @Test("Inserts, lookups, replacements and removals agree with a dictionary through growth and deletions")
    func againstDictionary() {
        let context = CaptureContext(options: CaptureOptions(), table: .bundled)
        var table = ConnectionTable()
        var model: [Int: TCPConnection] = [:]
        var generator = SeededGenerator(seed: 7)
        for step in 0..<40_000 {
            let number = Int.random(in: 0..<3_000, using: &generator)
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<5:
                let connection = TCPConnection(context: context, time: Double(step))
                table[Self.key(number)] = connection
                model[number] = connection
            case 5..<8:
                table[Self.key(number)] = nil
                model[number] = nil
            default:
                #expect(table[Self.key(number)] === model[number])
            }
            if step % 5_000 == 0 {
                #expect(table.count == model.count)
                for (number, connection) in model { #expect(table[Self.key(number)] === connection) }
            }
        }
        #expect(table.count == model.count)
        #expect(table.all.count == model.count)
        for (key, connection) in table.all {
            let number = model.first { Self.key($0.key) == key }?.value
            #expect(number === connection)
        }
        for number in model.keys { table[Self.key(number)] = nil }
        #expect(table.count == 0)
        #expect(table.all.isEmpty)
        table[Self.key(1)] = TCPConnection(context: context, time: 0)
        table.removeAll()
        #expect(table[Self.key(1)] == nil && table.count == 0)
    }
}
