import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import IAMScribeCore

/// `iamscribe cloudtrail`: what belongs to CloudTrail alone (reading trails is `generate`'s).
struct CloudTrail: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cloudtrail",
        abstract: "Work with CloudTrail where it lies: print the query that reduces a trail to its distinct calls.",
        subcommands: [Query.self]
    )

    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the SQL that reduces a CloudTrail table to distinct calls, for generate to read.",
            discussion: """
            iamscribe cloudtrail query --engine athena --table cloudtrail_logs --principal arn:aws:iam::123456789012:role/app --since 90d
            Run the query in Athena (engine version 3, Trino) on the table the CloudTrail console or \
            AWS's documented DDL creates (--ddl prints one, with partition projection), download the \
            result CSV, and give it to generate or diff as an input: \
            iamscribe generate results.csv. Each row is one distinct call (principal, event source, \
            event name, error code, region, resources, request parameters) with its count and first \
            and last times.
            """
        )

        enum Engine: String, ExpressibleByArgument, CaseIterable {
            case athena
        }

        @Option(help: "The SQL engine: athena (Trino dialect).")
        var engine: Engine

        @Option(help: "The CloudTrail table (name or database.name).")
        var table = "cloudtrail_logs"

        @Option(help: ArgumentHelp("Only this principal's calls (repeatable): a role ARN, a user ARN, a session ARN or an account id.", valueName: "arn"))
        var principal: [String] = []

        @Option(help: ArgumentHelp("Only calls at or after this time: 2024-05-01, 2024-05-01T12:00:00Z, or an age (90d).", valueName: "time"))
        var since: String?

        @Option(help: ArgumentHelp("Only calls before this time.", valueName: "time"))
        var until: String?

        @Option(help: ArgumentHelp("Only calls logged in this region (repeatable); global services' calls are kept.", valueName: "region"))
        var region: [String] = []

        @Option(help: ArgumentHelp("Only calls to this event source (repeatable): s3 or s3.amazonaws.com.", valueName: "source"))
        var eventSource: [String] = []

        @Option(help: ArgumentHelp("Print the table's DDL (partition projection) for this location instead: s3://BUCKET/AWSLogs/ACCOUNT/CloudTrail/", valueName: "s3-url"))
        var ddl: String?

        func validate() throws {
            if !AthenaQuery.isValidTable(table) {
                throw ValidationError("--table takes a table name or database.name: letters, digits and _ (or a double-quoted name).")
            }
            if let ddl, !ddl.hasPrefix("s3://") { throw ValidationError("--ddl takes an s3:// location.") }
            if let ddl, ddl.contains("'") { throw ValidationError("--ddl takes an s3:// location without quotes.") }
            if region.contains(where: { $0.contains("'") || $0.contains(",") }) { throw ValidationError("--region takes a region name such as eu-west-1.") }
            if eventSource.contains(where: { $0.contains("'") }) { throw ValidationError("--event-source takes a source such as s3 or s3.amazonaws.com.") }
            _ = try query()
        }

        func query() throws -> AthenaQuery {
            do {
                let now = Date()
                return AthenaQuery(table: table, principals: try principal.map(CloudTrailFilter.Principal.init),
                                   since: try since.map { try CloudTrailFilter.time($0, now: now) },
                                   until: try until.map { try CloudTrailFilter.time($0, now: now) }, regions: region,
                                   eventSources: eventSource)
            } catch let error as IAMScribeError {
                throw ValidationError(error.reason)
            }
        }

        func run() throws {
            let query = try query()
            if let ddl {
                let regions = region.isEmpty ? ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ca-central-1", "sa-east-1"] : region
                Output.write(query.ddl(location: ddl, regions: regions, since: query.since ?? Date(timeIntervalSinceNow: -90 * 86400)))
            } else {
                Output.write(query.sql)
            }
        }
    }
}
