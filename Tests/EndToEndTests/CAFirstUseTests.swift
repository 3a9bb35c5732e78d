import Foundation
import Testing

/// iamscribe's CA is made on first use; iamscribe processes that start at once on a fresh
/// IAMSCRIBE_HOME (`record --mode proxy &` then `ca export`, as the README's by-hand block does;
/// parallel `run --mode proxy` jobs on a fresh CI machine) must all end up with the same CA.
@Suite("The CA made on first use by processes started at once")
struct CAFirstUseTests {
    @Test("Eight `ca export` at once on a fresh folder: all succeed and print the one CA that stays")
    func concurrentFirstUse() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-ca-race-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        var environment = ProcessInfo.processInfo.environment
        environment["IAMSCRIBE_HOME"] = home
        let exports = try (0..<8).map { _ in try Recorder(["ca", "export"], environment: environment) }
        for export in exports { export.process.waitUntilExit() }
        let later = try Binary.run(["ca", "export"], environment: environment)
        // Each process takes the folder's lock (ca.lock) before it looks for the CA, so the first
        // one makes it and the others read it: before the lock, 19 of 20 pairs of `ca export` at
        // once disagreed (a key beside another process's certificate, or CAs not the one kept).
        for export in exports {
            #expect(export.process.terminationStatus == 0, "\(export.stderr)")
            #expect(export.stdout == later.stdout)
        }
        #expect(later.status == 0, "\(later.stderr)")
    }
}
