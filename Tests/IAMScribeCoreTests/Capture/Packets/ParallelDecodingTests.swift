import Foundation
@testable import IAMScribeCore
import Testing

/// Decoding a capture on several threads finds what one thread finds.
@Suite("Capture files decoded on several threads")
struct ParallelDecodingTests {
    /// The recorded fixture (Ethernet, IPv4 on loopback) copied `copies` times, each copy between
    /// its own two hosts and 1000 seconds after the one before: many host pairs for the shards.
    static func manyHosts(copies: Int) throws -> [UInt8] {
        let bytes = try PcapFileReaderTests.fixture()
        func read32(_ offset: Int) -> UInt32 { bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) } }
        var output = Array(bytes[0..<24])
        for copy in 0..<copies {
            var offset = 24
            while offset + 16 <= bytes.count {
                let captured = Int(read32(offset + 8))
                var record = Array(bytes[offset..<(offset + 16 + captured)])
                let seconds = read32(offset) + UInt32(copy * 1000)
                withUnsafeBytes(of: seconds.littleEndian) { record.replaceSubrange(0..<4, with: $0) }
                let ip = 16 + 14
                if captured >= 14 + 24, record[16 + 12] == 0x08, record[16 + 13] == 0x00, record[ip] >> 4 == 4 {
                    let transport = ip + Int(record[ip] & 0x0F) * 4
                    let sourcePort = UInt16(record[transport]) << 8 | UInt16(record[transport + 1])
                    let destinationPort = UInt16(record[transport + 2]) << 8 | UInt16(record[transport + 3])
                    // The end with the lower port is one host, the other end the other.
                    let low: [UInt8] = [10, UInt8(copy), 0, 1], high: [UInt8] = [172, 16, UInt8(copy), 9]
                    let (source, destination) = sourcePort < destinationPort ? (low, high) : (high, low)
                    record.replaceSubrange((ip + 12)..<(ip + 16), with: source)
                    record.replaceSubrange((ip + 16)..<(ip + 20), with: destination)
                }
                output += record
                offset += 16 + captured
            }
        }
        return output
    }

    static func expectSame(_ bytes: [UInt8], threads: [Int], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let one = try CaptureFile.read(bytes: bytes, name: "one", options: CaptureOptions(threads: 1))
        for count in threads {
            let many = try CaptureFile.read(bytes: bytes, name: "many", options: CaptureOptions(threads: count))
            #expect(many.calls == one.calls, "\(count) threads: calls", sourceLocation: sourceLocation)
            #expect(many.statistics == one.statistics, "\(count) threads: statistics", sourceLocation: sourceLocation)
            #expect(many.damage == one.damage, "\(count) threads: damage", sourceLocation: sourceLocation)
        }
    }

    @Test("Many host pairs: the same calls, in the same order, and the same counts on 2, 3 and 7 threads")
    func sameResult() throws {
        let bytes = try Self.manyHosts(copies: 12)
        let single = try CaptureFile.read(bytes: try PcapFileReaderTests.fixture(), name: "fixture")
        let one = try CaptureFile.read(bytes: bytes, name: "one", options: CaptureOptions(threads: 1))
        #expect(one.calls.count == 12 * single.calls.count)
        #expect(one.statistics.httpRequests == 12 * single.statistics.httpRequests)
        #expect(one.statistics.csmDatagrams == 12 * single.statistics.csmDatagrams)
        try Self.expectSame(bytes, threads: [2, 3, 7])

        // The copies do spread over the shards.
        let pipeline = try PacketPipeline(linkType: 1)
        let shards = bytes.withUnsafeBytes { memory -> Set<Int> in
            guard let records = PcapFileReader(memory: memory) else { return [] }
            var shards = Set<Int>()
            while case .packet = records.next({ packet, _, _, _ in shards.insert(pipeline.shard(of: packet, among: 3)) }) {}
            return shards
        }
        #expect(shards == [0, 1, 2])
    }

    @Test("A damaged or cut file: the same calls before the damage and the same text on several threads")
    func damaged() throws {
        let bytes = try Self.manyHosts(copies: 4)
        for cut in [bytes.count - 1, bytes.count / 2 + 5, bytes.count / 3] {
            try Self.expectSame(Array(bytes.prefix(cut)), threads: [2, 3])
        }
        var corrupt = bytes
        var offset = 24
        for _ in 0..<150 { offset += 16 + Int(corrupt.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self) }) }
        withUnsafeBytes(of: UInt32(300_000).littleEndian) { corrupt.replaceSubrange((offset + 8)..<(offset + 12), with: $0) }
        let result = try CaptureFile.read(bytes: corrupt, name: "corrupt", options: CaptureOptions(threads: 3))
        #expect(result.damage?.message.contains("after 150 packets") == true)
        try Self.expectSame(corrupt, threads: [3])
    }

    @Test("A capture file read from disk on several threads, each reading it on its own")
    func fromDisk() throws {
        let bytes = try Self.manyHosts(copies: 6)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-parallel-\(getpid()).pcap").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let one = try CaptureFile.read(bytes: bytes, name: "one", options: CaptureOptions(threads: 1))
        for threads in [1, 2, 4] {
            let file = try CaptureFile.read(path: path, options: CaptureOptions(threads: threads))
            #expect(file.calls == one.calls)
            #expect(file.statistics == one.statistics)
        }
    }

    @Test("Readers stop at the size the file had, should it grow; a named pipe is read on one thread")
    func limitsAndPipes() throws {
        let bytes = try Self.manyHosts(copies: 3)
        let directory = FileManager.default.temporaryDirectory
        let path = directory.appendingPathComponent("iamscribe-limit-\(getpid()).pcap").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cut = bytes.count / 2 + 3
        let limited = try #require(try PcapFileReader(path: path, limit: cut))
        let seen = try CaptureFile.read(limited)
        let expected = try CaptureFile.read(bytes: Array(bytes.prefix(cut)), name: "cut", options: CaptureOptions(threads: 1))
        #expect(seen.calls == expected.calls)
        #expect(seen.statistics == expected.statistics)
        #expect(seen.damage == expected.damage)
        #expect(seen.damage?.message.contains("truncated") == true)

        let pipe = directory.appendingPathComponent("iamscribe-pipe-\(getpid())").path
        #expect(mkfifo(pipe, 0o600) == 0)
        defer { unlink(pipe) }
        let writer = Thread {
            guard let handle = FileHandle(forWritingAtPath: pipe) else { return }
            handle.write(Data(bytes))
            try? handle.close()
        }
        writer.start()
        let fromPipe = try CaptureFile.read(path: pipe, options: CaptureOptions(threads: 3))
        let one = try CaptureFile.read(bytes: bytes, name: "one", options: CaptureOptions(threads: 1))
        #expect(fromPipe.calls == one.calls)
        #expect(fromPipe.statistics == one.statistics)
    }
}
