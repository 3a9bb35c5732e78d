import Foundation

/// Turns client-side monitoring on in an AWS shared config file, and puts the file back exactly
/// as it was.
///
/// The original bytes are copied to a backup beside the file before anything is changed, and the
/// backup is removed only after a restore succeeded: if iamscribe is killed outright, the backup
/// is there to put back by hand (``restoreHint``). A file that is not plain INI is refused rather
/// than rewritten.
public final class AWSConfigFile: Sendable {
    /// The config file.
    public let path: String
    /// Where the original is kept until ``restore()``.
    public let backupPath: String
    private let original: Data?
    private let mode: mode_t

    /// The config file the SDKs read: `AWS_CONFIG_FILE`, else `~/.aws/config`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["AWS_CONFIG_FILE"], !path.isEmpty { return path }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return "\(home)/.aws/config"
    }

    /// Enables CSM for a profile.
    ///
    /// - Parameters:
    ///   - path: The config file (created when missing, with its folder).
    ///   - profile: The profile; `default` edits `[default]`, another name `[profile NAME]`.
    ///   - port: The CSM port; written when not 31000.
    ///   - host: The CSM host; written when not 127.0.0.1.
    ///   - clientID: A CSM client id to write, if any.
    /// - Returns: An editor whose ``restore()`` puts the file back.
    /// - Throws: ``IAMScribeError`` when the file cannot be parsed, read, backed up or written,
    ///   or when a backup from an earlier run is still there.
    public static func enableCSM(path: String, profile: String = "default", port: Int = 31000,
                                 host: String = "127.0.0.1", clientID: String? = nil) throws -> AWSConfigFile {
        let backup = path + ".iamscribe-backup"
        if FileManager.default.fileExists(atPath: backup) {
            throw IAMScribeError(.invalidConfiguration, """
                a backup of \(path) from an earlier iamscribe run is still at \(backup); \
                put it back with `mv '\(backup)' '\(path)'` (or delete it if the file is already right), then retry
                """)
        }
        let existing = FileManager.default.fileExists(atPath: path)
        var original: Data?
        var mode: mode_t = 0o600
        if existing {
            do {
                original = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw IAMScribeError(.invalidConfiguration, "cannot read \(path)", underlying: error as NSError)
            }
            var info = stat()
            if stat(path, &info) == 0 { mode = info.st_mode & 0o7777 }
        }
        let text = String(decoding: original ?? Data(), as: UTF8.self)
        if original != nil, String(data: original ?? Data(), encoding: .utf8) == nil {
            throw IAMScribeError(.invalidConfiguration, "\(path) is not UTF-8 text; not editing it")
        }
        let edited = try edit(text, path: path, profile: profile, settings: settings(port: port, host: host, clientID: clientID))
        let editor = AWSConfigFile(path: path, backupPath: backup, original: original, mode: mode)
        if let original {
            try AtomicFile.write(original, to: backup, mode: mode)
        } else {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // An empty marker says "there was no file": restoring removes the new one.
            try AtomicFile.write(Data(), to: backup, mode: 0o600)
        }
        do {
            try AtomicFile.write(Data(edited.utf8), to: path, mode: mode)
        } catch {
            try? FileManager.default.removeItem(atPath: backup)
            throw error
        }
        return editor
    }

    private init(path: String, backupPath: String, original: Data?, mode: mode_t) {
        self.path = path
        self.backupPath = backupPath
        self.original = original
        self.mode = mode
    }

    /// Puts the file back byte for byte (or removes it when there was none), then drops the backup.
    ///
    /// - Throws: ``IAMScribeError`` when the file cannot be written; the backup then stays.
    public func restore() throws {
        if let original {
            try AtomicFile.write(original, to: path, mode: mode)
        } else if FileManager.default.fileExists(atPath: path) {
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                throw IAMScribeError(.unwritableOutput, "cannot remove \(path)", underlying: error as NSError)
            }
        }
        try? FileManager.default.removeItem(atPath: backupPath)
    }

    /// How to restore by hand if iamscribe could not.
    public var restoreHint: String {
        original == nil ? "remove \(path)" : "mv '\(backupPath)' '\(path)'"
    }

    private static func settings(port: Int, host: String, clientID: String?) -> [(String, String)] {
        var settings = [("csm_enabled", "true")]
        if port != 31000 { settings.append(("csm_port", String(port))) }
        if host != "127.0.0.1" { settings.append(("csm_host", host)) }
        if let clientID { settings.append(("csm_client_id", clientID)) }
        return settings
    }

    /// Edits the INI text: sets each setting in the profile's section, adding the section if needed.
    static func edit(_ text: String, path: String, profile: String, settings: [(String, String)]) throws -> String {
        let header = profile == "default" ? "default" : "profile \(profile)"
        // Keep the file's line ending (CRLF files stay CRLF).
        let newline = text.contains("\r\n") ? "\r\n" : "\n"
        var lines = text.isEmpty ? [] : text.components(separatedBy: newline)
        let endsWithNewline = text.isEmpty || text.hasSuffix("\n")
        if text.hasSuffix(newline) { lines.removeLast() }

        // Validate everything first: refuse what is not plain INI.
        var sawSection = false
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]"), trimmed.count > 2 else {
                    throw IAMScribeError(.invalidConfiguration, "cannot parse \(path), line \(index + 1): a section header needs a closing ']'; not editing it")
                }
                sawSection = true
                continue
            }
            if line.first == " " || line.first == "\t" {
                guard sawSection else {
                    throw IAMScribeError(.invalidConfiguration, "cannot parse \(path), line \(index + 1): an indented line before any section; not editing it")
                }
                continue  // a continuation or a nested setting (s3 = ...)
            }
            guard sawSection else {
                throw IAMScribeError(.invalidConfiguration, "cannot parse \(path), line \(index + 1): a setting before any [section]; not editing it")
            }
            guard let equals = trimmed.firstIndex(of: "="), !trimmed[..<equals].trimmingCharacters(in: .whitespaces).isEmpty else {
                throw IAMScribeError(.invalidConfiguration, "cannot parse \(path), line \(index + 1): expected 'key = value'; not editing it")
            }
        }

        func sectionName(_ line: String) -> String? {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else { return nil }
            return trimmed.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                .components(separatedBy: .whitespaces).filter { !$0.isEmpty }.joined(separator: " ")
        }
        func key(_ line: String) -> String? {
            guard line.first != " ", line.first != "\t", let equals = line.firstIndex(of: "=") else { return nil }
            return line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
        }

        guard let start = lines.firstIndex(where: { sectionName($0) == header }) else {
            var out = lines
            if let last = out.last, !last.trimmingCharacters(in: .whitespaces).isEmpty { out.append("") }
            out.append("[\(header)]")
            out += settings.map { "\($0.0) = \($0.1)" }
            return out.joined(separator: newline) + newline
        }
        var end = lines.count
        for index in (start + 1)..<lines.count where sectionName(lines[index]) != nil {
            end = index
            break
        }
        var remaining = settings
        for index in (start + 1)..<end {
            guard let name = key(lines[index]), let position = remaining.firstIndex(where: { $0.0 == name }) else { continue }
            lines[index] = "\(remaining[position].0) = \(remaining[position].1)"
            remaining.remove(at: position)
        }
        // Insert after the section's last non-blank line, so blank separators stay where they were.
        var insertAt = end
        while insertAt > start + 1, lines[insertAt - 1].trimmingCharacters(in: .whitespaces).isEmpty { insertAt -= 1 }
        lines.insert(contentsOf: remaining.map { "\($0.0) = \($0.1)" }, at: insertAt)
        return lines.joined(separator: newline) + (endsWithNewline ? newline : "")
    }
}
