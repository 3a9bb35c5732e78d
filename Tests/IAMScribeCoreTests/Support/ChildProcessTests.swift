import Foundation
import Testing
@testable import IAMScribeCore

@Suite("Child process")
struct ChildProcessTests {
    static let environment = ProcessInfo.processInfo.environment

    @Test("Exit status, 128+N for a signal, 127 and 126 when it cannot start")
    func statuses() throws {
        let exited = try ChildProcess.spawn(["sh", "-c", "exit 7"], environment: Self.environment)
        #expect(exited.wait(every: 0.01, pendingSignal: { 0 }) == .exited(7))
        let killed = try ChildProcess.spawn(["sh", "-c", "kill -USR1 $$"], environment: Self.environment)
        #expect(killed.wait(every: 0.01, pendingSignal: { 0 }).shellStatus == 128 + SIGUSR1)
        let missing = #expect(throws: IAMScribeError.self) { try ChildProcess.spawn(["no-such-command-iamscribe"], environment: [:]) }
        #expect(missing?.code == .commandNotFound)
        let folder = #expect(throws: IAMScribeError.self) { try ChildProcess.spawn(["/tmp"], environment: [:]) }
        #expect(folder?.code == .commandNotExecutable)
    }

    @Test("The command's environment is the one given; a signal goes to its whole group, grandchildren too (issue 10, defect 10)")
    func groupSignal() throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-grandchild-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        let child = try ChildProcess.spawn(["sh", "-c", "sleep 300 & echo $! > \(pidFile).tmp; mv \(pidFile).tmp \(pidFile); wait"],
                                           environment: ["PATH": "/usr/bin:/bin"])
        var grandchild: pid_t?
        let deadline = Date().addingTimeInterval(10)
        while grandchild == nil && Date() < deadline {
            grandchild = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            usleep(10_000)
        }
        let sleeper = try #require(grandchild)
        #expect(getpgid(child.pid) == child.pid)
        var sent = false
        let termination = child.wait(every: 0.01, pendingSignal: {
            defer { sent = true }
            return sent ? 0 : SIGTERM
        })
        #expect(termination == .signaled(SIGTERM))
        #expect(Self.ended(sleeper))
    }

    /// Whether a process is gone (or a zombie waiting for init to reap it), within 5 s.
    static func ended(_ pid: pid_t) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
            usleep(20_000)
        }
        return false
    }
}
