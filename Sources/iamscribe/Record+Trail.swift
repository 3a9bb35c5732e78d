import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import IAMScribeCore

/// `record --session F --from-trail PATH`: a trail added to a session journal.
///
/// A trail is a recording already made, so `record` reads it and exits instead of listening; the
/// calls go into the journal with their account and resource ARNs, and every later `record
/// --session F`, `generate F` or `diff F` has the union of what was recorded live and what the
/// trail shows.
extension Record {
    /// The usage rules of `--from-trail`: it needs `--session`, and the listening options do not
    /// apply to it; the CloudTrail filters apply only with it.
    func validateTrail() throws {
        guard !fromTrail.isEmpty else {
            if cloudTrail.isGiven {
                throw ValidationError("--principal, --since, --until, --region and --event-source pick a trail's events: they apply with --from-trail.")
            }
            return
        }
        guard recording.session != nil else {
            throw ValidationError("--from-trail adds a trail's calls to a session: name the journal with --session.")
        }
        var listening: [String] = []
        if capture.mode != .csm { listening.append("--mode") }
        if host != "127.0.0.1" { listening.append("--host") }
        if port != 31000 { listening.append("--port") }
        if allowRemote { listening.append("--allow-remote") }
        if clientId != nil { listening.append("--client-id") }
        if setIni { listening.append("--set-ini") }
        if background { listening.append("--background") }
        if !listening.isEmpty {
            throw ValidationError("--from-trail reads the trail and exits without listening: \(listening.joined(separator: ", ")) do not apply to it.")
        }
        if fromTrail.filter({ $0 == "-" }).count > 1 {
            throw ValidationError("--from-trail takes standard input ('-') once.")
        }
        _ = try cloudTrail.filter()
    }

    /// Reads each trail, appends its calls to the session journal, and prints the session's policy.
    ///
    /// - Throws: `ExitCode(2)` when a trail cannot be read, is not CloudTrail input or yields
    ///   nothing but errors (the other trails' calls are still added); `ExitCode(1)` when the
    ///   journal or `--output-file` cannot be written.
    func addTrails() throws {
        guard let session = recording.session else { throw ValidationError("--from-trail needs --session.") }
        let options = CloudTrailReader.Options(filter: try cloudTrail.filter())
        var calls: [ObservedCall] = []
        var failed = false
        for input in fromTrail {
            do {
                let result = try CallInput.read(path: input, cloudTrail: options) { Output.note("iamscribe: \($0)") }
                guard let statistics = result.cloudTrail else {
                    Output.error("\(input) is not CloudTrail input (it reads as \(result.format.rawValue)); --from-trail takes a log file, "
                                 + "a folder in the delivery layout, a Lake or event history export, a `cloudtrail query` result or '-'. "
                                 + "Nothing of it was added to \(session).")
                    failed = true
                    continue
                }
                Output.diagnostics(result.diagnostics, atMost: result.isUnreadable ? .error : .warning)
                Output.cloudTrailReport(input, statistics, calls: result.calls.count)
                if result.isUnreadable {
                    Output.error("\(input): nothing could be read from it as CloudTrail events; nothing of it was added to \(session)")
                    failed = true
                    continue
                }
                calls += result.calls
            } catch {
                // One unreadable trail does not lose what the others hold.
                Output.error("\(error)")
                failed = true
            }
        }
        let appended: SessionJournal.Appended
        do {
            appended = try SessionJournal.append(calls, toJournalAt: session)
        } catch {
            Output.error("\(error)")
            throw ExitCode(1)
        }
        Output.diagnostics(appended.diagnostics, atMost: .warning)
        Output.note("iamscribe: \(session): \(plural(appended.added, "call")) added (\(appended.present) already there); "
                    + "the session holds \(plural(appended.previous.count + appended.added, "call"))")
        var builder = PolicyBuilder(options: policy.builderOptions)
        builder.add(contentsOf: appended.previous)
        builder.add(contentsOf: calls)
        Output.report(builder)
        // An unwritable output file: exit 1.
        try Output.writePolicy(builder, options: policy, unwritableExit: 1)
        if failed { throw ExitCode(2) }
    }
}
