import Foundation
import Testing
@testable import IAMScribeCore

@Suite("AWS config file editing")
struct AWSConfigFileTests {
    let csm = [("csm_enabled", "true"), ("csm_port", "4000")]

    @Test("Adds the settings at the end of an existing section, keeping everything else")
    func existingSection() throws {
        let text = "[default]\nregion = us-east-1\n\n[profile x]\nregion = eu-west-1\n"
        let edited = try AWSConfigFile.edit(text, path: "c", profile: "default", settings: csm)
        #expect(edited == "[default]\nregion = us-east-1\ncsm_enabled = true\ncsm_port = 4000\n\n[profile x]\nregion = eu-west-1\n")
    }

    @Test("Replaces settings already there and adds a missing profile section")
    func replaceAndAdd() throws {
        let text = "[profile dev]\ncsm_enabled = false\n"
        #expect(try AWSConfigFile.edit(text, path: "c", profile: "dev", settings: csm) == "[profile dev]\ncsm_enabled = true\ncsm_port = 4000\n")
        #expect(try AWSConfigFile.edit(text, path: "c", profile: "ci", settings: csm)
            == "[profile dev]\ncsm_enabled = false\n\n[profile ci]\ncsm_enabled = true\ncsm_port = 4000\n")
        #expect(try AWSConfigFile.edit("", path: "c", profile: "default", settings: csm) == "[default]\ncsm_enabled = true\ncsm_port = 4000\n")
    }

    @Test("Refuses what is not plain INI, naming the line", arguments: [
        ("region = x\n", 1), ("[default\nregion = x\n", 1), ("[default]\nnot a setting\n", 2), ("  indented = x\n", 1),
    ])
    func refuses(text: String, line: Int) {
        #expect {
            try AWSConfigFile.edit(text, path: "cfg", profile: "default", settings: csm)
        } throws: { error in
            "\(error)".contains("cannot parse cfg, line \(line)")
        }
    }

    @Test("enable then restore gives the same bytes and mode; a leftover backup blocks a new edit")
    func roundTrip() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID())").path
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: path + ".iamscribe-backup")
        }
        let original = Data("[default]\r\nregion = us-east-1\r\n".utf8)
        try original.write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        let editor = try AWSConfigFile.enableCSM(path: path, port: 4000)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("csm_port = 4000"))
        #expect(throws: IAMScribeError.self) { try AWSConfigFile.enableCSM(path: path) }
        try editor.restore()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
        #expect(!FileManager.default.fileExists(atPath: path + ".iamscribe-backup"))

        let missing = path + "-new"
        let created = try AWSConfigFile.enableCSM(path: missing)
        #expect(FileManager.default.fileExists(atPath: missing))
        try created.restore()
        #expect(!FileManager.default.fileExists(atPath: missing))
    }
}
