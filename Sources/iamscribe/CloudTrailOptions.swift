import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import IAMScribeCore

/// Which CloudTrail events `generate`, `diff` and `record --from-trail` take (other inputs ignore these options).
struct CloudTrailOptions: ParsableArguments {
    @Option(help: ArgumentHelp("CloudTrail: only this principal's calls (repeatable): a role ARN (its sessions), a user ARN, a session ARN or an account id.", valueName: "arn"))
    var principal: [String] = []

    @Option(help: ArgumentHelp("CloudTrail: only calls at or after this time: 2024-05-01, 2024-05-01T12:00:00Z, or an age (90d, 12h).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("CloudTrail: only calls before this time (same forms as --since).", valueName: "time"))
    var until: String?

    @Option(help: ArgumentHelp("CloudTrail: only calls logged in this region (repeatable); global services' calls, logged in us-east-1, are kept.", valueName: "region"))
    var region: [String] = []

    @Option(help: ArgumentHelp("CloudTrail: only calls to this event source (repeatable): s3 or s3.amazonaws.com.", valueName: "source"))
    var eventSource: [String] = []

    /// Whether any of the options was given.
    var isGiven: Bool {
        !principal.isEmpty || since != nil || until != nil || !region.isEmpty || !eventSource.isEmpty
    }

    /// The filter, or a sentence saying which option is wrong.
    func filter() throws -> CloudTrailFilter {
        do {
            let now = Date()
            let since = try self.since.map { try CloudTrailFilter.time($0, now: now) }
            let until = try self.until.map { try CloudTrailFilter.time($0, now: now) }
            if let since, let until, since >= until {
                throw ValidationError("--since must come before --until.")
            }
            return CloudTrailFilter(principals: try principal.map(CloudTrailFilter.Principal.init), since: since, until: until,
                                    regions: Set(region), eventSources: Set(eventSource))
        } catch let error as IAMScribeError {
            throw ValidationError(error.reason)
        }
    }
}

extension Output {
    /// Prints the coverage report of CloudTrail input: what was read, what was left out and
    /// why, which services were called and by whom, and which data events cannot be there.
    static func cloudTrailReport(_ input: String, _ statistics: CloudTrailStatistics, calls: Int) {
        let span: String
        if let earliest = statistics.earliest, let latest = statistics.latest {
            span = ", from \(timestamp(earliest)) to \(timestamp(latest))"
        } else {
            span = ""
        }
        note("\(input): \(plural(statistics.records, "event")) in \(plural(statistics.files, "file"))\(span); "
             + "\(plural(statistics.calls, "call")) taken (\(statistics.failedCalls) failed), \(plural(calls, "distinct call"))")
        if !statistics.eventTypes.isEmpty {
            note("\(input): event kinds: " + tally(statistics.eventTypes))
        }
        for (reason, count) in statistics.leftOut.sorted(by: { $0.key < $1.key }) where count > 0 {
            note("\(input): left out: \(count) \(reason.rawValue)")
        }
        if !statistics.notOperations.isEmpty {
            note("\(input): not API operations (never guessed): " + tally(statistics.notOperations, limit: 10))
        }
        if !statistics.services.isEmpty {
            note("\(input): services: " + tally(statistics.services, limit: 20))
        }
        if !statistics.dataEvents.isEmpty {
            note("\(input): data events: " + tally(statistics.dataEvents))
        }
        if statistics.globalCallsKept > 0 {
            note("\(input): \(plural(statistics.globalCallsKept, "call")) to global services (logged in us-east-1) kept despite --region")
        }
        if statistics.principals.count > 1 {
            note("\(input): calls of \(statistics.principals.count) principals in the policy (--principal picks one): " + tally(statistics.principals, limit: 5))
        }
        for (invocation, count) in statistics.invokedBy.sorted(by: { $0.key < $1.key }).prefix(20) {
            note("\(input): made by a service with the caller's credentials, so kept: \(invocation) (\(count))")
        }
        for warning in statistics.coverageWarnings {
            note("warning: \(input): \(warning)")
        }
    }

    private static func tally(_ counts: [String: Int], limit: Int = 12) -> String {
        let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let shown = sorted.prefix(limit).map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return sorted.count > limit ? shown + ", and \(sorted.count - limit) more" : shown
    }

    private static func timestamp(_ date: Date) -> String {
        date.ISO8601Format()
    }
}
