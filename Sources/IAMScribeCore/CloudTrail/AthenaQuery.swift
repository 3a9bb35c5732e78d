#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The SQL (Trino, as Athena runs it) that reduces a CloudTrail table to the distinct calls
/// `generate` reads back (``AthenaResult``), so that an organization's trail is grouped where
/// it lies rather than downloaded.
///
/// The table is the one the CloudTrail console's "Create Athena table" or AWS's documented DDL
/// creates (``ddl(table:location:since:)`` prints it with partition projection): lowercase
/// column names, `useridentity` and `resources` as structs, `requestparameters` as JSON text,
/// and the projected partition `timestamp` (`yyyy/MM/dd`) that a `--since` prunes by.
public struct AthenaQuery: Sendable {
    /// The table's name (`database.table` or `table`).
    public var table: String
    /// The calls of these principals only; empty: every principal.
    public var principals: [CloudTrailFilter.Principal]
    /// Calls at or after this time only.
    public var since: Date?
    /// Calls before this time only.
    public var until: Date?
    /// Calls logged in these regions only (global services' calls are logged in us-east-1).
    public var regions: [String]
    /// Calls to these event sources only (`s3` or `s3.amazonaws.com`).
    public var eventSources: [String]

    public init(table: String = "cloudtrail_logs", principals: [CloudTrailFilter.Principal] = [], since: Date? = nil,
                until: Date? = nil, regions: [String] = [], eventSources: [String] = []) {
        self.table = table
        self.principals = principals
        self.since = since
        self.until = until
        self.regions = regions
        self.eventSources = eventSources
    }

    /// Whether a table name is safe to put in the SQL as it is: `name` or `database.name`, each
    /// letters, digits and `_` (or double-quoted).
    public static func isValidTable(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return false }
        return parts.allSatisfy { part in
            if part.count >= 3, part.first == "\"", part.last == "\"" { return !part.dropFirst().dropLast().contains("\"") }
            return !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
        }
    }

    private static func literal(_ text: String) -> String {
        "'" + text.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
    }

    private static func regexQuote(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\^$.|?*+()[]{}".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// A UTC time as `yyyy-MM-ddTHH:mm:ssZ` (`day: false`) or the day as `yyyy/MM/dd` (`day: true`,
    /// the delivery layout's partition value).
    private static func format(_ date: Date, day: Bool) -> String {
        let text = date.ISO8601Format()
        return day ? String(text.prefix(10)).split(separator: "-").joined(separator: "/") : text
    }

    /// The condition that keeps one principal's calls.
    private static func condition(_ principal: CloudTrailFilter.Principal) -> String {
        switch principal {
        case .account(let account):
            return "useridentity.accountid = \(literal(account))"
        case .role(let account, let name):
            let pattern = "(?i)^arn:[^:]+:iam::\(account):role/(.*/)?\(regexQuote(name))$"
            let session = "(?i)^arn:[^:]+:sts::\(account):assumed-role/\(regexQuote(name))/"
            return "(regexp_like(useridentity.sessioncontext.sessionissuer.arn, \(literal(pattern))) OR (useridentity.sessioncontext.sessionissuer.arn IS NULL AND regexp_like(useridentity.arn, \(literal(session)))))"
        case .session(let arn):
            return "useridentity.arn = \(literal(arn))"
        case .user(let account, let name):
            let pattern = "(?i)^arn:[^:]+:iam::\(account):user/(.*/)?\(regexQuote(name))$"
            return "(useridentity.type = 'IAMUser' AND regexp_like(useridentity.arn, \(literal(pattern))))"
        }
    }

    /// The query.
    public var sql: String {
        var conditions = [
            "eventtype = 'AwsApiCall'",
            "coalesce(useridentity.type, '') <> 'AWSService'",
        ]
        if let since {
            // The partition first, so that Athena reads only the days asked for.
            conditions.append("\"timestamp\" >= \(Self.literal(Self.format(since, day: true)))")
            conditions.append("eventtime >= \(Self.literal(Self.format(since, day: false)))")
        }
        if let until {
            conditions.append("\"timestamp\" <= \(Self.literal(Self.format(until, day: true)))")
            conditions.append("eventtime < \(Self.literal(Self.format(until, day: false)))")
        }
        if !regions.isEmpty {
            // Global services are logged in us-east-1 whatever region their caller works in.
            let listed = regions.sorted().map(Self.literal).joined(separator: ", ")
            let global = CloudTrailNames.globalEventSources(in: .bundled).map(Self.literal).joined(separator: ", ")
            conditions.append("(awsregion IN (\(listed)) OR eventsource IN (\(global)))")
        }
        if !eventSources.isEmpty {
            let sources = Set(eventSources.map { CloudTrailNames.prefix(of: $0) + ".amazonaws.com" })
            conditions.append("eventsource IN (\(sources.sorted().map(Self.literal).joined(separator: ", ")))")
        }
        if !principals.isEmpty {
            conditions.append("(" + principals.map(Self.condition).joined(separator: "\n       OR ") + ")")
        }
        return """
        -- iamscribe cloudtrail query: the distinct calls in a CloudTrail table, for `iamscribe generate`.
        -- Run it in Athena (Trino engine); download the result CSV and give it to generate or diff.
        SELECT
          coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn, '') AS principal,
          coalesce(useridentity.type, '') AS identitytype,
          coalesce(useridentity.accountid, '') AS identityaccount,
          coalesce(recipientaccountid, '') AS account,
          eventsource,
          eventname,
          coalesce(errorcode, '') AS errorcode,
          coalesce(awsregion, '') AS region,
          coalesce(array_join(transform(resources, r -> r.arn), ' '), '') AS resources,
          \(Self.reducedParameters),
          coalesce(useridentity.invokedby, '') AS invokedby,
          coalesce(eventcategory, '') AS eventcategory,
          count(*) AS calls,
          min(eventtime) AS first_seen,
          max(eventtime) AS last_seen
        FROM \(table)
        WHERE \(conditions.joined(separator: "\n  AND "))
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12
        ORDER BY first_seen, eventsource, eventname

        """
    }

    /// `requestparameters` reduced to the members a policy can depend on
    /// (``CloudTrailParameterNames``, compared as the resolver compares names: lowercase letters
    /// and digits), so that calls differing only in other members (a timestamp, an item's key, a
    /// page token) are one row; the reader keeps the same members of the log files. A nested
    /// value (a DynamoDB item's `key`) becomes `""`: the reader takes a nested member as present
    /// with no value, so its content can only keep rows apart. A text that is not a JSON object
    /// stays whole; none stays empty.
    static var reducedParameters: String {
        var lines: [String] = []
        var line = ""
        for name in CloudTrailParameterNames.bundled.names.map(literal) {
            if line.count + name.count > 110 {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + name + ","
        }
        if !line.isEmpty { lines.append(String(line.dropLast())) }
        // A member is kept when one of its forms (CloudTrailParameterNames.forms(of:)) is named.
        let name = "regexp_replace(lower(k), '[^a-z0-9]', '')"
        return """
        coalesce(json_format(CAST(transform_values(
              map_filter(try(CAST(json_parse(requestparameters) AS MAP(VARCHAR, JSON))),
                (k, v) -> any_match(ARRAY[\(name), \(name) || 'name', \(name) || 'id',
                    regexp_replace(\(name), '(name|id)$', '')],
                  n -> n IN (
                  \(lines.joined(separator: "\n          "))
                ))),
              (k, v) -> IF(is_json_scalar(v), v, JSON '""')) AS JSON)), requestparameters, '') AS requestparameters
        """
    }

    /// The table's DDL: AWS's documented CloudTrail table with partition projection over the
    /// delivery layout (`s3://BUCKET/AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/`).
    ///
    /// - Parameters:
    ///   - location: `s3://BUCKET/AWSLogs/ACCOUNT/CloudTrail/` (or with `o-ORG/` before the account).
    ///   - regions: The regions the trail logs.
    ///   - since: The first day the projection covers.
    public func ddl(location: String, regions: [String], since: Date) -> String {
        let base = location.hasSuffix("/") ? location : location + "/"
        return """
        CREATE EXTERNAL TABLE \(table) (
          eventversion STRING,
          useridentity STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, invokedby: STRING,
            accesskeyid: STRING, username: STRING, onbehalfof: STRUCT<userid: STRING, identitystorearn: STRING>,
            sessioncontext: STRUCT<attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
              sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, username: STRING>,
              ec2roledelivery: STRING, webidfederationdata: STRUCT<federatedprovider: STRING, attributes: MAP<STRING,STRING>>>>,
          eventtime STRING,
          eventsource STRING,
          eventname STRING,
          awsregion STRING,
          sourceipaddress STRING,
          useragent STRING,
          errorcode STRING,
          errormessage STRING,
          requestparameters STRING,
          responseelements STRING,
          additionaleventdata STRING,
          requestid STRING,
          eventid STRING,
          readonly STRING,
          resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
          eventtype STRING,
          apiversion STRING,
          recipientaccountid STRING,
          serviceeventdetails STRING,
          sharedeventid STRING,
          vpcendpointid STRING,
          eventcategory STRING,
          tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>
        )
        PARTITIONED BY (region STRING, `timestamp` STRING)
        ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
        STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
        OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
        LOCATION '\(base)'
        TBLPROPERTIES (
          'projection.enabled'='true',
          'projection.region.type'='enum',
          'projection.region.values'='\(regions.joined(separator: ","))',
          'projection.timestamp.type'='date',
          'projection.timestamp.format'='yyyy/MM/dd',
          'projection.timestamp.range'='\(Self.format(since, day: true)),NOW',
          'projection.timestamp.interval'='1',
          'projection.timestamp.interval.unit'='DAYS',
          'storage.location.template'='\(base)${region}/${timestamp}'
        );

        """
    }
}
