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
        // A CRLF file keeps its last line ending ("\r\n" is one Character in Swift).
        #expect(try AWSConfigFile.edit("[default]\r\nregion = a\r\n", path: "c", profile: "default", settings: csm)
            == "[default]\r\nregion = a\r\ncsm_enabled = true\r\ncsm_port = 4000\r\n")
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

    /// A fresh folder for one test, removed afterwards.
    final class Folder {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("awsconfig-\(UUID())").path
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        func file(_ name: String) -> String { "\(path)/\(name)" }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    func attributes(_ path: String, following: Bool = true) -> stat {
        var info = stat()
        _ = following ? stat(path, &info) : lstat(path, &info)
        return info
    }

    @Test("A profile name that could break out of its section header is refused, and the file is left alone", arguments: [
        "dev\ncredential_process = /tmp/evil", "dev]\ncredential_process = x", "a]", "[x", " dev", "dev ", "a#b", "a;b",
        "a=b", "", "dev\r", "a\u{7}b", "a\tb", "dé", String(repeating: "a", count: 129),
    ])
    func invalidProfileNames(name: String) throws {
        #expect(AWSConfigFile.profileNameProblem(name) != nil)
        let folder = try Folder()
        let config = folder.file("config")
        let original = "[default]\nregion = us-east-1\n"
        try original.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(throws: IAMScribeError.self) { try AWSConfigFile.enableCSM(path: config, profile: name) }
        #expect(try String(contentsOfFile: config, encoding: .utf8) == original)
        #expect(!FileManager.default.fileExists(atPath: config + ".iamscribe-backup"))
    }

    @Test("Profile names of letters, digits and -_.@+ are accepted")
    func validProfileNames() throws {
        for name in ["default", "dev", "my-profile_1.2@corp+x", "PROD"] {
            #expect(AWSConfigFile.profileNameProblem(name) == nil, "\(name)")
        }
    }

    @Test("A symbolic link stays a link: its target is edited and restored, the backup is beside the target")
    func symbolicLink() throws {
        let folder = try Folder()
        let target = folder.file("real-config")
        let link = folder.file("config")
        let original = "[default]\nregion = us-east-1\n"
        try original.write(toFile: target, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "real-config")
        let editor = try AWSConfigFile.enableCSM(path: link)
        #expect(attributes(link, following: false).st_mode & S_IFMT == S_IFLNK)
        #expect(try String(contentsOfFile: target, encoding: .utf8).contains("csm_enabled = true"))
        #expect(FileManager.default.fileExists(atPath: target + ".iamscribe-backup"))
        #expect(editor.restoreHint.contains(target))
        try editor.restore()
        #expect(attributes(link, following: false).st_mode & S_IFMT == S_IFLNK)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "real-config")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == original)
        #expect(!FileManager.default.fileExists(atPath: target + ".iamscribe-backup"))

        let dangling = folder.file("dangling")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: "nowhere")
        #expect(throws: IAMScribeError.self) { try AWSConfigFile.enableCSM(path: dangling) }
    }

    @Test("Mode and owner are kept while recording and after: 0666 stays 0666, another user's 0600 file stays theirs",
          arguments: [(mode_t(0o666), uid_t(0), gid_t(0)), (mode_t(0o600), uid_t(65534), gid_t(65534)), (mode_t(0o640), uid_t(65534), gid_t(0))])
    func modeAndOwner(mode: mode_t, user: uid_t, group: gid_t) throws {
        let folder = try Folder()
        let config = folder.file("config")
        let original = Data("[default]\nregion = us-east-1\n".utf8)
        try original.write(to: URL(fileURLWithPath: config))
        #expect(chmod(config, mode) == 0)
        #expect(chown(config, user, group) == 0)
        let editor = try AWSConfigFile.enableCSM(path: config)
        for path in [config, config + ".iamscribe-backup"] {
            let during = attributes(path)
            #expect(during.st_mode & 0o7777 == mode && during.st_uid == user && during.st_gid == group, "\(path)")
        }
        try editor.restore()
        let after = attributes(config)
        #expect(after.st_mode & 0o7777 == mode)
        #expect(after.st_uid == user && after.st_gid == group)
        #expect(try Data(contentsOf: URL(fileURLWithPath: config)) == original)
    }

    struct Change: Sendable, CustomTestStringConvertible {
        let original: String?
        let profile: String
        /// What the user does to the edited text.
        let change: @Sendable (String) -> String
        let expected: String?
        let testDescription: String
    }

    static let changes: [Change] = [
        .init(original: "[default]\nregion = us-east-1\n", profile: "default",
              change: { $0.replacingOccurrences(of: "us-east-1", with: "eu-west-1") + "\n[profile new]\nregion = x\n" },
              expected: "[default]\nregion = eu-west-1\n\n[profile new]\nregion = x\n",
              testDescription: "a value changed and a section added: both kept, the added settings gone"),
        .init(original: "[profile dev]\ncsm_enabled = false\nregion = a\n", profile: "dev",
              change: { $0.replacingOccurrences(of: "region = a", with: "region = b") },
              expected: "[profile dev]\ncsm_enabled = false\nregion = b\n",
              testDescription: "a replaced setting gets its old line back"),
        .init(original: "[default]\nregion = a\n", profile: "ci",
              change: { $0 + "\n[profile z]\nregion = q\n" },
              expected: "[default]\nregion = a\n\n[profile z]\nregion = q\n",
              testDescription: "an added section goes, with the blank line before it"),
        .init(original: "[default]\r\nregion = a\r\n", profile: "default",
              change: { "# note\r\n" + $0 },
              expected: "# note\r\n[default]\r\nregion = a\r\n",
              testDescription: "CRLF stays CRLF"),
        .init(original: "[default]\nregion = a\n", profile: "default",
              change: { $0.replacingOccurrences(of: "csm_enabled = true", with: "csm_enabled = false") },
              expected: "[default]\nregion = a\ncsm_enabled = false\n",
              testDescription: "a line of iamscribe's that the user changed is theirs now"),
        .init(original: nil, profile: "default",
              change: { $0 + "\n[profile mine]\nregion = x\n" },
              expected: "\n[profile mine]\nregion = x\n",
              testDescription: "a file iamscribe created keeps what the user added"),
        .init(original: nil, profile: "default",
              change: { $0 + "\n" },
              expected: nil,
              testDescription: "a file iamscribe created, left with nothing else, is removed"),
    ]

    @Test("Changes made while recording are kept; only iamscribe's lines are taken out", arguments: changes)
    func changedWhileRecording(_ item: Change) throws {
        let folder = try Folder()
        let config = folder.file("config")
        if let original = item.original { try original.write(toFile: config, atomically: true, encoding: .utf8) }
        let editor = try AWSConfigFile.enableCSM(path: config, profile: item.profile, port: 4000)
        let edited = try String(contentsOfFile: config, encoding: .utf8)
        try item.change(edited).write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try editor.restore() == .keptChanges)
        #expect((try? String(contentsOfFile: config, encoding: .utf8)) == item.expected)
        #expect(!FileManager.default.fileExists(atPath: config + ".iamscribe-backup"))
    }

    @Test("An unchanged file comes back byte for byte; a removed one gets its original back")
    func unchangedAndRemoved() throws {
        let folder = try Folder()
        let config = folder.file("config")
        let original = "[default]\nregion = a\n"
        try original.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try AWSConfigFile.enableCSM(path: config).restore() == .restored)
        #expect(try String(contentsOfFile: config, encoding: .utf8) == original)
        let editor = try AWSConfigFile.enableCSM(path: config)
        try FileManager.default.removeItem(atPath: config)
        #expect(try editor.restore() == .restored)
        #expect(try String(contentsOfFile: config, encoding: .utf8) == original)
    }

    @Test("Folders made for a missing file are removed on restore when empty, and kept otherwise")
    func createdFolders() throws {
        let folder = try Folder()
        let config = folder.file("home/.aws/config")
        let editor = try AWSConfigFile.enableCSM(path: config)
        #expect(FileManager.default.fileExists(atPath: config))
        try editor.restore()
        #expect(!FileManager.default.fileExists(atPath: folder.file("home")))
        #expect(FileManager.default.fileExists(atPath: folder.path))

        let second = try AWSConfigFile.enableCSM(path: config)
        try "x".write(toFile: folder.file("home/.aws/credentials"), atomically: true, encoding: .utf8)
        try second.restore()
        #expect(!FileManager.default.fileExists(atPath: config))
        #expect(FileManager.default.fileExists(atPath: folder.file("home/.aws/credentials")))
    }
}
