#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Turns client-side monitoring on in an AWS shared config file, and puts the file back as it was.
///
/// The original bytes are copied to a backup beside the file before anything is changed, and the
/// backup is removed only after a restore succeeded: if iamscribe is killed outright, the backup
/// is there to put back by hand (``restoreHint``). A file that is not plain INI is refused rather
/// than rewritten.
///
/// The restore is faithful: a symbolic link stays a link (its target is what is edited), the
/// file keeps its owner, group and mode, and a folder created for a missing file is removed again
/// when empty. Edits someone made to the file while CSM was on are kept: only the lines iamscribe
/// wrote are taken out (see ``restore()``).
public final class AWSConfigFile: Sendable {
    /// The config file, as it was named (a symbolic link, possibly).
    public let path: String
    /// The file that is edited: ``path`` with symbolic links resolved.
    public let editedPath: String
    /// Where the original is kept until ``restore()``.
    public let backupPath: String
    private let original: Data?
    /// What iamscribe wrote: a file that still holds exactly this was not edited meanwhile.
    private let written: Data
    private let edit: Edit
    private let ownership: AtomicFile.Ownership
    /// The folders made for a missing file, deepest first.
    private let createdFolders: [String]

    /// What ``restore()`` did.
    public enum RestoreOutcome: Sendable, Equatable {
        /// The file is back byte for byte (or gone again, if there was none).
        case restored
        /// The file changed while CSM was on: the changes are kept and only the lines iamscribe
        /// wrote were taken out.
        case keptChanges
    }

    /// The config file the SDKs read: `AWS_CONFIG_FILE`, else `~/.aws/config`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["AWS_CONFIG_FILE"], !path.isEmpty { return path }
        let home = environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        return "\(home)/.aws/config"
    }

    /// Why a profile name cannot be written into a section header, or nil when it can.
    ///
    /// Names are letters, digits and `-_.@+`: a newline or `]` would end the header and let the
    /// rest of the name be read as settings (`credential_process = ...`).
    ///
    /// - Parameter name: The profile name.
    /// - Returns: A sentence saying what is wrong.
    public static func profileNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "the profile name is empty" }
        if name.unicodeScalars.count > 128 { return "the profile name is longer than 128 characters" }
        let allowed = Set("-_.@+".unicodeScalars)
        for scalar in name.unicodeScalars where !(scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)))
            && !allowed.contains(scalar) {
            let shown = scalar.value < 0x20 || scalar.value == 0x7F || !scalar.isASCII
                ? "U+" + String(scalar.value, radix: 16, uppercase: true) : "'\(scalar)'"
            return "the profile name holds \(shown); profile names are letters, digits and - _ . @ +"
        }
        return nil
    }

    /// Enables CSM for a profile.
    ///
    /// - Parameters:
    ///   - path: The config file (created when missing, with its folder). A symbolic link is
    ///     followed: its target is edited and the link stays.
    ///   - profile: The profile; `default` edits `[default]`, another name `[profile NAME]`.
    ///   - port: The CSM port; written when not 31000.
    ///   - host: The CSM host; written when not 127.0.0.1.
    ///   - clientID: A CSM client id to write, if any.
    /// - Returns: An editor whose ``restore()`` puts the file back.
    /// - Throws: ``IAMScribeError`` when the profile name is not one a header can hold, when the
    ///   file cannot be parsed, read, backed up or written (with its owner and mode), or when a
    ///   backup from an earlier run is still there.
    public static func enableCSM(path: String, profile: String = "default", port: Int = 31000,
                                 host: String = "127.0.0.1", clientID: String? = nil) throws -> AWSConfigFile {
        if let problem = profileNameProblem(profile) {
            throw IAMScribeError(.invalidConfiguration, "cannot enable CSM for profile \(profile.debugDescription): \(problem)")
        }
        return try apply(settings(port: port, host: host, clientID: clientID), path: path, profile: profile)
    }

    /// Points a profile at a CA bundle (`ca_bundle`), for the HTTPS proxy: the SDKs that read the
    /// config file then trust iamscribe's CA.
    ///
    /// - Parameters:
    ///   - bundle: The CA bundle's path.
    ///   - path: The config file, as for ``enableCSM(path:profile:port:host:clientID:)``.
    ///   - profile: The profile.
    /// - Returns: An editor whose ``restore()`` puts the file back.
    /// - Throws: ``IAMScribeError`` as ``enableCSM(path:profile:port:host:clientID:)`` does.
    public static func setCABundle(_ bundle: String, path: String, profile: String = "default") throws -> AWSConfigFile {
        if let problem = profileNameProblem(profile) {
            throw IAMScribeError(.invalidConfiguration, "cannot set ca_bundle for profile \(profile.debugDescription): \(problem)")
        }
        if bundle.contains(where: { $0.isNewline }) {
            throw IAMScribeError(.invalidConfiguration, "the CA bundle path \(bundle.debugDescription) holds a line break; an INI value cannot")
        }
        return try apply([("ca_bundle", bundle)], path: path, profile: profile)
    }

    /// Sets each setting in the profile's section, keeping a backup to restore from.
    private static func apply(_ settings: [(String, String)], path: String, profile: String) throws -> AWSConfigFile {
        let target = try resolve(path)
        let backup = target + ".iamscribe-backup"
        if FileManager.default.fileExists(atPath: backup) {
            throw IAMScribeError(.invalidConfiguration, """
                a backup of \(target) from an earlier iamscribe run is still at \(backup); \
                put it back with `mv '\(backup)' '\(target)'` (or delete it if the file is already right), then retry
                """)
        }
        var info = stat()
        let existing = stat(target, &info) == 0
        var original: Data?
        var ownership = AtomicFile.Ownership(mode: 0o600, owner: nil)
        if existing {
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw IAMScribeError(.invalidConfiguration, "\(target) is not a regular file; not editing it")
            }
            do {
                original = try Data(contentsOf: URL(fileURLWithPath: target))
            } catch {
                throw IAMScribeError(.invalidConfiguration, "cannot read \(target)", underlying: error)
            }
            ownership = AtomicFile.Ownership(mode: info.st_mode & 0o7777, owner: (info.st_uid, info.st_gid))
        }
        let text = String(decoding: original ?? Data(), as: UTF8.self)
        if original != nil, String(data: original ?? Data(), encoding: .utf8) == nil {
            throw IAMScribeError(.invalidConfiguration, "\(target) is not UTF-8 text; not editing it")
        }
        let edit = try plan(text, path: target, profile: profile, settings: settings)
        let written = Data(edit.text.utf8)
        var createdFolders: [String] = []
        if let original {
            // The backup gets the file's owner and mode, so that moving it back by hand is faithful too.
            try AtomicFile.replace(backup, with: original, ownership: ownership)
        } else {
            createdFolders = try createFolders(for: target)
            // An empty marker says "there was no file": restoring removes the new one.
            do {
                try AtomicFile.replace(backup, with: Data(), ownership: AtomicFile.Ownership(mode: 0o600, owner: nil))
            } catch {
                removeEmpty(createdFolders)
                throw error
            }
        }
        do {
            try AtomicFile.replace(target, with: written, ownership: ownership)
        } catch {
            try? FileManager.default.removeItem(atPath: backup)
            removeEmpty(createdFolders)
            throw error
        }
        return AWSConfigFile(path: path, editedPath: target, backupPath: backup, original: original, written: written,
                             edit: edit, ownership: ownership, createdFolders: createdFolders)
    }

    private init(path: String, editedPath: String, backupPath: String, original: Data?, written: Data, edit: Edit,
                 ownership: AtomicFile.Ownership, createdFolders: [String]) {
        self.path = path
        self.editedPath = editedPath
        self.backupPath = backupPath
        self.original = original
        self.written = written
        self.edit = edit
        self.ownership = ownership
        self.createdFolders = createdFolders
    }

    /// Puts the file back, then drops the backup and the folders made for the file if empty.
    ///
    /// A file that still holds what iamscribe wrote gets its original bytes, owner and mode back
    /// (or is removed, if there was none). A file someone changed meanwhile keeps the changes:
    /// only the lines iamscribe added are removed and the lines it replaced are put back (the ones
    /// still there as iamscribe wrote them), and the file keeps its current owner and mode. A file
    /// removed meanwhile gets its original back.
    ///
    /// - Returns: Whether the file is back byte for byte or kept someone's changes.
    /// - Throws: ``IAMScribeError`` when the file cannot be written, or was changed into
    ///   something that is not UTF-8; the backup then stays.
    @discardableResult
    public func restore() throws -> RestoreOutcome {
        let current = try? Data(contentsOf: URL(fileURLWithPath: editedPath))
        var outcome = RestoreOutcome.restored
        if let current, current != written {
            guard let text = String(data: current, encoding: .utf8) else {
                throw IAMScribeError(.unwritableOutput, """
                    \(editedPath) changed while CSM was on and is no longer UTF-8 text; not touching it. \
                    The original is at \(backupPath)
                    """)
            }
            let reverted = Self.revert(text, edit: edit)
            if original == nil && reverted.allSatisfy(\.isWhitespace) {
                try remove(editedPath)
            } else {
                var info = stat()
                let ownership = stat(editedPath, &info) == 0
                    ? AtomicFile.Ownership(mode: info.st_mode & 0o7777, owner: (info.st_uid, info.st_gid)) : self.ownership
                try AtomicFile.replace(editedPath, with: Data(reverted.utf8), ownership: ownership)
            }
            outcome = .keptChanges
        } else if let original {
            try AtomicFile.replace(editedPath, with: original, ownership: ownership)
        } else if current != nil {
            try remove(editedPath)
        }
        try? FileManager.default.removeItem(atPath: backupPath)
        Self.removeEmpty(createdFolders)
        return outcome
    }

    private func remove(_ file: String) throws {
        do {
            try FileManager.default.removeItem(atPath: file)
        } catch {
            throw IAMScribeError(.unwritableOutput, "cannot remove \(file)", underlying: error)
        }
    }

    /// How to restore by hand if iamscribe could not.
    public var restoreHint: String {
        original == nil ? "remove \(editedPath)" : "mv '\(backupPath)' '\(editedPath)'"
    }

    private static func settings(port: Int, host: String, clientID: String?) -> [(String, String)] {
        var settings = [("csm_enabled", "true")]
        if port != 31000 { settings.append(("csm_port", String(port))) }
        if host != "127.0.0.1" { settings.append(("csm_host", host)) }
        if let clientID { settings.append(("csm_client_id", clientID)) }
        return settings
    }

    /// One edit of the text, remembered so that it can be taken out of a file changed since.
    struct Edit: Sendable {
        struct Replacement: Sendable {
            /// The line as iamscribe wrote it.
            var written: String
            /// The line it replaced.
            var previous: String
        }

        /// The edited text.
        var text: String
        /// The section's name (`default`, `profile dev`).
        var section: String
        /// The setting lines added.
        var added: [String] = []
        /// The setting lines replaced.
        var replaced: [Replacement] = []
        /// Whether the section header was added, and a blank line before it.
        var addedSection = false
        var addedBlankLine = false
    }

    /// Edits the INI text: sets each setting in the profile's section, adding the section if needed.
    static func edit(_ text: String, path: String, profile: String, settings: [(String, String)]) throws -> String {
        try plan(text, path: path, profile: profile, settings: settings).text
    }

    /// The file's lines without their ending, whether they end in CRLF, and whether the last has an ending.
    private static func lines(of text: String) -> (lines: [String], newline: String, endsWithNewline: Bool) {
        // Keep the file's line ending (CRLF files stay CRLF).
        let newline = text.contains("\r\n") ? "\r\n" : "\n"
        var lines = text.isEmpty ? [] : text.split(separator: newline, omittingEmptySubsequences: false).map(String.init)
        if text.hasSuffix(newline) { lines.removeLast() }
        // In Swift "\r\n" is one Character, which hasSuffix("\n") does not match.
        return (lines, newline, text.isEmpty || text.hasSuffix(newline) || text.hasSuffix("\n"))
    }

    private static func sectionName(_ line: String) -> String? {
        let trimmed = line.trimmingWhitespace()
        guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else { return nil }
        return trimmed.dropFirst().dropLast().trimmingWhitespace()
            .splitOnWhitespace().joined(separator: " ")
    }

    /// The edit of the INI text that sets each setting in the profile's section.
    static func plan(_ text: String, path: String, profile: String, settings: [(String, String)]) throws -> Edit {
        let header = profile == "default" ? "default" : "profile \(profile)"
        var (lines, newline, endsWithNewline) = lines(of: text)

        // Validate everything first: refuse what is not plain INI.
        var sawSection = false
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingWhitespace()
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
            guard let equals = trimmed.firstIndex(of: "="), !trimmed[..<equals].trimmingWhitespace().isEmpty else {
                throw IAMScribeError(.invalidConfiguration, "cannot parse \(path), line \(index + 1): expected 'key = value'; not editing it")
            }
        }

        func key(_ line: String) -> String? {
            guard line.first != " ", line.first != "\t", let equals = line.firstIndex(of: "=") else { return nil }
            return line[..<equals].trimmingWhitespace().lowercased()
        }

        var edit = Edit(text: "", section: header)
        guard let start = lines.firstIndex(where: { sectionName($0) == header }) else {
            var out = lines
            if let last = out.last, !last.trimmingWhitespace().isEmpty {
                out.append("")
                edit.addedBlankLine = true
            }
            out.append("[\(header)]")
            edit.addedSection = true
            edit.added = settings.map { "\($0.0) = \($0.1)" }
            out += edit.added
            edit.text = out.joined(separator: newline) + newline
            return edit
        }
        var end = lines.count
        for index in (start + 1)..<lines.count where sectionName(lines[index]) != nil {
            end = index
            break
        }
        var remaining = settings
        for index in (start + 1)..<end {
            guard let name = key(lines[index]), let position = remaining.firstIndex(where: { $0.0 == name }) else { continue }
            let line = "\(remaining[position].0) = \(remaining[position].1)"
            edit.replaced.append(.init(written: line, previous: lines[index]))
            lines[index] = line
            remaining.remove(at: position)
        }
        // Insert after the section's last non-blank line, so blank separators stay where they were.
        var insertAt = end
        while insertAt > start + 1, lines[insertAt - 1].trimmingWhitespace().isEmpty { insertAt -= 1 }
        edit.added = remaining.map { "\($0.0) = \($0.1)" }
        lines.insert(contentsOf: edit.added, at: insertAt)
        edit.text = lines.joined(separator: newline) + (endsWithNewline ? newline : "")
        return edit
    }

    /// Takes an edit out of a text changed since: removes the lines it added and puts back the
    /// lines it replaced, those still there as it wrote them, in its section; and the section
    /// header it added, if nothing else is left under it. Everything else stays.
    static func revert(_ text: String, edit: Edit) -> String {
        var (lines, newline, endsWithNewline) = lines(of: text)
        guard let start = lines.firstIndex(where: { sectionName($0) == edit.section }) else { return text }
        var end = lines.count
        for index in (start + 1)..<lines.count where sectionName(lines[index]) != nil {
            end = index
            break
        }
        var section = Array(lines[(start + 1)..<end])
        for line in edit.added {
            if let index = section.firstIndex(of: line) { section.remove(at: index) }
        }
        for replacement in edit.replaced {
            if let index = section.firstIndex(of: replacement.written) { section[index] = replacement.previous }
        }
        var before = Array(lines[..<start])
        var headerLine = [lines[start]]
        if edit.addedSection && section.allSatisfy({ $0.trimmingWhitespace().isEmpty }) {
            headerLine = []
            if edit.addedBlankLine, let last = before.last, last.trimmingWhitespace().isEmpty { before.removeLast() }
        }
        lines = before + headerLine + section + Array(lines[end...])
        return lines.isEmpty ? "" : lines.joined(separator: newline) + (endsWithNewline ? newline : "")
    }

    /// The file to edit for `path`: its target when it is a symbolic link.
    private static func resolve(_ path: String) throws -> String {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return path }
        guard let resolved = realpath(path, nil) else {
            throw IAMScribeError(.invalidConfiguration, "\(path) is a symbolic link to a file that does not exist; not editing it")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Creates the folders a new file needs, and returns those it made, deepest first.
    private static func createFolders(for file: String) throws -> [String] {
        var made: [String] = []
        var folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.path), folder.path != "/" {
            made.append(folder.path)
            folder = folder.deletingLastPathComponent()
        }
        guard let deepest = made.first else { return [] }
        do {
            try FileManager.default.createDirectory(atPath: deepest, withIntermediateDirectories: true)
        } catch {
            throw IAMScribeError(.unwritableOutput, "cannot create \(deepest)", underlying: error)
        }
        return made
    }

    /// Removes folders, deepest first, while they are empty.
    private static func removeEmpty(_ folders: [String]) {
        for folder in folders where rmdir(folder) != 0 { break }
    }
}
