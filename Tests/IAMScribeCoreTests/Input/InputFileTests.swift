import Foundation
import Synchronization
import Testing
@testable import IAMScribeCore

@Suite("Input files that are streams: FIFOs, /dev/stdin, process substitution")
struct InputFileTests {
    final class Folder {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("inputs-\(UUID())").path
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Writes `bytes` to `path` from another thread after `delay` seconds.
    func writeLater(_ bytes: [UInt8], to path: String, after delay: Double) -> Thread {
        let thread = Thread {
            Thread.sleep(forTimeInterval: delay)
            let descriptor = open(path, O_WRONLY)
            guard descriptor >= 0 else { return }
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count, let base = buffer.baseAddress {
                    let written = write(descriptor, base + offset, buffer.count - offset)
                    if written <= 0 { break }
                    offset += written
                }
            }
            close(descriptor)
        }
        thread.start()
        return thread
    }

    @Test("A FIFO without a writer: the caller is told it waits, then the whole stream is read")
    func fifoWaitsForWriter() throws {
        let folder = try Folder()
        let fifo = "\(folder.path)/calls"
        #expect(mkfifo(fifo, 0o600) == 0)
        let data = try [UInt8](Data(contentsOf: Fixtures.url("awscli-moto.csm.jsonl")))
        _ = writeLater(data, to: fifo, after: 0.3)
        let messages = Mutex<[String]>([])
        let result = try CallInput.read(path: fifo) { message in messages.withLock { $0.append(message) } }
        #expect(messages.withLock { $0 } == ["waiting for a program to write to the FIFO \(fifo)"])
        let direct = try CallInput.read(path: Fixtures.url("awscli-moto.csm.jsonl").path)
        #expect(result.format == .csmLines)
        #expect(result.calls.count == direct.calls.count && result.calls.count > 0)
    }

    @Test("A pcap capture through a pipe (/dev/fd/N, as <(cat capture.pcap) gives) decodes as from the file")
    func captureThroughPipe() throws {
        let capture = try [UInt8](Data(contentsOf: Fixtures.url("aws-moto.pcap")))
        let pipe = Pipe()
        let writer = Thread {
            pipe.fileHandleForWriting.write(Data(capture))
            try? pipe.fileHandleForWriting.close()
        }
        writer.start()
        let path = "/dev/fd/\(pipe.fileHandleForReading.fileDescriptor)"
        let result = try CallInput.read(path: path) { _ in Issue.record("a pipe has a writer: nothing to wait for") }
        let direct = try CallInput.read(path: Fixtures.url("aws-moto.pcap").path)
        #expect(result.format == .pcap)
        #expect(result.calls.map(\.operation) == direct.calls.map(\.operation))
        #expect(!result.calls.isEmpty)
    }

    @Test("A FIFO whose writer came first is read without waiting; one whose writer wrote nothing is empty")
    func fifoWithWriter() throws {
        let folder = try Folder()
        let fifo = "\(folder.path)/policy"
        #expect(mkfifo(fifo, 0o600) == 0)
        // The writer blocks in open until the reader comes, so it is there first.
        let text = #"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#
        _ = writeLater(Array(text.utf8), to: fifo, after: 0)
        Thread.sleep(forTimeInterval: 0.1)
        let policy = try IAMPolicy.load(path: fifo) { _ in Issue.record("the writer was there") }
        #expect(policy.statements.first?.actions == ["s3:GetObject"])

        // Without a callback the reading still waits for the writer.
        let clock = ContinuousClock()
        let start = clock.now
        _ = writeLater([], to: fifo, after: 0.3)
        #expect(try InputFile.read(path: fifo).isEmpty)
        #expect(clock.now - start >= .milliseconds(250))
    }

    @Test("What cannot be read says why in words, not as an NSError", arguments: [
        ("/nonexistent/calls.jsonl", "cannot read /nonexistent/calls.jsonl: no such file"),
        ("/", "cannot read /: it is a folder"),
    ])
    func unreadable(path: String, message: String) {
        #expect {
            try CallInput.read(path: path)
        } throws: { error in
            "\(error)" == message
        }
        #expect(throws: IAMScribeError.self) { try IAMPolicy.load(path: path) }
    }
}
