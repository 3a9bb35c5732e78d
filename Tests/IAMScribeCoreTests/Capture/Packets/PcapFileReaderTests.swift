import Foundation
@testable import IAMScribeCore
import Testing

/// The classic pcap reader against libpcap: the same calls, statistics and damage on every file.
@Suite("The pcap file reader reads like libpcap")
struct PcapFileReaderTests {
    /// The fixture's bytes.
    static func fixture() throws -> [UInt8] {
        try [UInt8](Data(contentsOf: Fixtures.url("aws-moto.pcap")))
    }

    /// Reads `bytes` with both readers, from memory and from a file, and expects the same result.
    @discardableResult
    static func expectSameAsLibpcap(_ bytes: [UInt8], _ label: String, chunkLength: Int = 0,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws -> CaptureFile.Result {
        let reference = try CaptureFile.read(bytes: bytes, name: label, reader: .libpcap)
        let memory = try CaptureFile.read(bytes: bytes, name: label, reader: .fastest)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-reader-\(getpid())-\(label).pcap").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try PcapFileReader(path: path, chunkLength: chunkLength).map { try CaptureFile.read($0) }
        let libpcapFile = try CaptureFile.read(path: path, reader: .libpcap)
        for (name, result) in [("memory", memory), ("file", try #require(file, sourceLocation: sourceLocation))] {
            #expect(result.calls == reference.calls, "\(label), \(name): calls", sourceLocation: sourceLocation)
            #expect(result.statistics == reference.statistics, "\(label), \(name): statistics", sourceLocation: sourceLocation)
            #expect(result.damage == reference.damage, "\(label), \(name): damage", sourceLocation: sourceLocation)
        }
        #expect(libpcapFile.calls == reference.calls, sourceLocation: sourceLocation)
        return reference
    }

    /// The fixture rewritten in the other byte order, with nanosecond timestamps when asked.
    static func rewritten(_ bytes: [UInt8], bigEndian: Bool, nanoseconds: Bool, snapshotLength: UInt32? = nil) -> [UInt8] {
        func read32(_ offset: Int) -> UInt32 { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) } }
        func put(_ value: UInt32, _ output: inout [UInt8]) {
            let ordered = bigEndian ? value.bigEndian : value.littleEndian
            withUnsafeBytes(of: ordered) { output += $0 }
        }
        func put16(_ value: UInt16, _ output: inout [UInt8]) {
            let ordered = bigEndian ? value.bigEndian : value.littleEndian
            withUnsafeBytes(of: ordered) { output += $0 }
        }
        var output: [UInt8] = []
        put(nanoseconds ? 0xA1B2_3C4D : 0xA1B2_C3D4, &output)
        put16(2, &output)
        put16(4, &output)
        put(0, &output)
        put(0, &output)
        put(snapshotLength ?? read32(16), &output)
        put(read32(20), &output)
        var offset = 24
        while offset + 16 <= bytes.count {
            let captured = Int(read32(offset + 8))
            put(read32(offset), &output)
            put(nanoseconds ? read32(offset + 4) * 1000 + 999 : read32(offset + 4), &output)
            put(read32(offset + 8), &output)
            put(read32(offset + 12), &output)
            output += bytes[(offset + 16)..<min(bytes.count, offset + 16 + captured)]
            offset += 16 + captured
        }
        return output
    }

    @Test("The recorded capture: the same calls and statistics as libpcap, also across chunk boundaries")
    func fixture() throws {
        let bytes = try Self.fixture()
        let result = try Self.expectSameAsLibpcap(bytes, "fixture")
        #expect(result.statistics.httpRequests == 28)
        #expect(result.damage == nil)
        // Many copies of the records, read a quarter megabyte at a time: records cross chunks.
        let repeated = bytes + Array(repeating: bytes[24...], count: 12).joined()
        let many = try Self.expectSameAsLibpcap(repeated, "repeated", chunkLength: 1)
        #expect(many.statistics.packets == 13 * result.statistics.packets)
    }

    @Test("Big-endian and nanosecond files read like libpcap reads them")
    func byteOrderAndPrecision() throws {
        let bytes = try Self.fixture()
        let reference = try CaptureFile.read(bytes: bytes, name: "fixture", reader: .libpcap)
        for (bigEndian, nanoseconds) in [(true, false), (false, true), (true, true)] {
            let variant = Self.rewritten(bytes, bigEndian: bigEndian, nanoseconds: nanoseconds)
            #expect(PcapFileReader.header(variant.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[0..<24]) })?.swapped == bigEndian)
            let result = try Self.expectSameAsLibpcap(variant, "order-\(bigEndian)-\(nanoseconds)")
            #expect(result.calls.map(\.operation) == reference.calls.map(\.operation))
        }
    }

    @Test("A snapshot length shorter than the records cuts them as libpcap does")
    func snapshotLength() throws {
        let variant = Self.rewritten(try Self.fixture(), bigEndian: false, nanoseconds: false, snapshotLength: 300)
        let result = try Self.expectSameAsLibpcap(variant, "snapshot")
        #expect(result.statistics.truncated > 0)
    }

    @Test("Truncated files: the same calls, statistics and error text as libpcap at every cut")
    func truncated() throws {
        let bytes = try Self.fixture()
        var cuts = Array(stride(from: 24, to: bytes.count, by: 1499))
        // Cuts inside a record header, at its end, and one byte into the packet.
        var offset = 24
        while offset + 16 <= bytes.count, cuts.count < 120 {
            cuts += [offset + 7, offset + 16, offset + 17]
            offset += 16 + Int(bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self) })
        }
        var damaged = 0
        for cut in cuts {
            let result = try Self.expectSameAsLibpcap(Array(bytes.prefix(cut)), "cut-\(cut)")
            if result.damage?.message.contains("truncated") == true { damaged += 1 }
        }
        #expect(damaged >= cuts.count - 5)
    }

    @Test("Corrupt record lengths stop both readers at the same record with the same text")
    func corrupt() throws {
        let bytes = try Self.fixture()
        for (record, length) in [(3, UInt32(0xFFFF_FFFF)), (40, 262_145), (100, 300_000), (5, 262_144)] {
            var damaged = bytes
            var offset = 24
            for _ in 0..<record { offset += 16 + Int(damaged.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self) }) }
            withUnsafeBytes(of: length.littleEndian) { damaged.replaceSubrange((offset + 8)..<(offset + 12), with: $0) }
            let result = try Self.expectSameAsLibpcap(damaged, "corrupt-\(record)")
            #expect(result.damage != nil)
        }
        // A small snapshot length in the header and a record longer than it but within the maximum.
        var small = Self.rewritten(bytes, bigEndian: true, nanoseconds: false, snapshotLength: 100)
        small.replaceSubrange((24 + 8)..<(24 + 12), with: [0, 0x04, 0, 0])
        try Self.expectSameAsLibpcap(small, "corrupt-small-snapshot")
    }

    @Test("Files the reader does not take go to libpcap")
    func others() throws {
        let bytes = try Self.fixture()
        func header(_ file: [UInt8]) -> PcapFileReader.Header? { file.withUnsafeBytes { PcapFileReader.header($0) } }
        #expect(header(bytes) != nil)
        var older = bytes
        older[6] = 3
        #expect(header(older) == nil)
        var unknownLink = bytes
        unknownLink[20] = 105
        #expect(header(unknownLink) == nil)
        var fcs = bytes
        fcs[23] = 0x10
        #expect(header(fcs) == nil)
        #expect(header(Array(bytes.prefix(23))) == nil)
        #expect(header(CaptureFileTests.pcapngFile([], dlt: 1)) == nil)
        // An older minor version still decodes, through libpcap.
        #expect(try CaptureFile.read(bytes: older, name: "older").calls.count == CaptureFile.read(bytes: bytes, name: "fixture").calls.count)
    }
}
