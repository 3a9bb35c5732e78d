import Foundation
import Testing

/// `record --set-ini` restoring the config file faithfully (issue 10); no AWS client needed.
@Suite("record --set-ini restores the config file faithfully", .serialized)
struct SetIniTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("iamscribe-setini-\(UUID())").path

    init() throws { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }

    @Test("A profile name with a newline or ] is a usage error (64), and the config is left alone")
    func injectedProfile() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = "\(folder)/config"
        let original = "[default]\nregion = us-east-1\n"
        try original.write(toFile: config, atomically: true, encoding: .utf8)
        for profile in ["dev\ncredential_process = /bin/sh -c 'touch /tmp/owned'", "dev]", " dev"] {
            let result = try Binary.run(["record", "--port", String(Workloads.freePort()), "--set-ini", "--profile", profile],
                                        environment: ["AWS_CONFIG_FILE": config, "PATH": "/usr/bin:/bin"])
            #expect(result.status == 64, "\(result.stderr)")
            #expect(result.stderr.contains("--profile: the profile name holds"), "\(result.stderr)")
        }
        #expect(try String(contentsOfFile: config, encoding: .utf8) == original)
        #expect(!FileManager.default.fileExists(atPath: config + ".iamscribe-backup"))
    }

    @Test("A linked, 0600 config of another user, edited while recording: the link, owner, mode and the edit are kept")
    func faithfulRestore() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let target = "\(folder)/dotfiles-config"
        let link = "\(folder)/config"
        try "[default]\nregion = us-east-1\n".write(toFile: target, atomically: true, encoding: .utf8)
        chmod(target, 0o600)
        chown(target, 65534, 65534)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let port = Workloads.freePort()
        let recorder = try Recorder(["record", "--port", String(port), "--set-ini"],
                                    environment: ["AWS_CONFIG_FILE": link, "PATH": "/usr/bin:/bin"])
        #expect(recorder.waitUntilListening(), "\(recorder.stderr)")
        #expect(Workloads.wait { FileManager.default.fileExists(atPath: target + ".iamscribe-backup") })
        let edited = try String(contentsOfFile: target, encoding: .utf8)
        #expect(edited == "[default]\nregion = us-east-1\ncsm_enabled = true\ncsm_port = \(port)\n")
        // The user changes the region meanwhile.
        try edited.replacingOccurrences(of: "us-east-1", with: "eu-west-1").write(toFile: target, atomically: false, encoding: .utf8)
        #expect(recorder.stop(SIGINT) == 0)
        #expect(recorder.stderr.contains("changed while recording; your changes are kept"), "\(recorder.stderr)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "[default]\nregion = eu-west-1\n")
        var info = stat()
        #expect(lstat(link, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
        #expect(stat(target, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o600 && info.st_uid == 65534 && info.st_gid == 65534)
        #expect(!FileManager.default.fileExists(atPath: target + ".iamscribe-backup"))
    }

    @Test("A missing ~/.aws/config: the file and the folder made for it are gone after the recorder stops")
    func createdFolder() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let recorder = try Recorder(["record", "--port", String(Workloads.freePort()), "--set-ini", "--profile", "ci"],
                                    environment: ["HOME": folder, "PATH": "/usr/bin:/bin"])
        #expect(recorder.waitUntilListening(), "\(recorder.stderr)")
        #expect(Workloads.wait { FileManager.default.fileExists(atPath: "\(folder)/.aws/config") })
        #expect(try String(contentsOfFile: "\(folder)/.aws/config", encoding: .utf8).hasPrefix("[profile ci]\ncsm_enabled = true\n"))
        #expect(recorder.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/.aws"))
    }

    @Test("Run by a user who cannot give a new file the config's group: the file is written in place and keeps it",
          .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root and setpriv"))
    func withoutPrivilege() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        chmod(folder, 0o777)
        let config = "\(folder)/config"
        let original = "[default]\nregion = us-east-1\n"
        try original.write(toFile: config, atomically: true, encoding: .utf8)
        // Owned by nobody, group root, which nobody is not in: a new file of nobody's cannot have it.
        chown(config, 65534, 0)
        chmod(config, 0o660)
        let port = Workloads.freePort()
        let recorder = try Recorder(["--reuid", "65534", "--regid", "65534", "--clear-groups", Binary.path,
                                     "record", "--port", String(port), "--set-ini"],
                                    environment: ["AWS_CONFIG_FILE": config, "PATH": "/usr/bin:/bin"], executable: "/usr/bin/setpriv")
        #expect(recorder.waitUntilListening(), "\(recorder.stderr)")
        #expect(Workloads.wait { (try? String(contentsOfFile: config, encoding: .utf8))?.contains("csm_enabled = true") == true })
        var info = stat()
        #expect(stat(config, &info) == 0 && info.st_uid == 65534 && info.st_gid == 0 && info.st_mode & 0o7777 == 0o660)
        #expect(recorder.stop(SIGINT) == 0, "\(recorder.stderr)")
        #expect(try String(contentsOfFile: config, encoding: .utf8) == original)
        #expect(stat(config, &info) == 0 && info.st_uid == 65534 && info.st_gid == 0 && info.st_mode & 0o7777 == 0o660)
        #expect(!FileManager.default.fileExists(atPath: config + ".iamscribe-backup"))
    }
}
