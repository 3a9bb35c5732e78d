#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Which CloudTrail events become calls: whose, when, where, from which services.
public struct CloudTrailFilter: Sendable {
    /// A principal whose calls are kept.
    public enum Principal: Sendable, Hashable, CustomStringConvertible {
        /// Every principal of an account (`123456789012` or `arn:aws:iam::123456789012:root`).
        case account(String)
        /// The sessions of a role (`arn:aws:iam::A:role/[path/]NAME`, or
        /// `arn:aws:sts::A:assumed-role/NAME` for all of its sessions).
        case role(account: String, name: String)
        /// One role session (`arn:aws:sts::A:assumed-role/NAME/SESSION`).
        case session(arn: String)
        /// An IAM user (`arn:aws:iam::A:user/[path/]NAME`).
        case user(account: String, name: String)

        /// Parses a principal as `--principal` takes it.
        ///
        /// - Parameter text: An account id or an IAM role, user, root or assumed-role ARN.
        /// - Throws: ``IAMScribeError`` (`.invalidInput`) saying which forms are accepted.
        public init(_ text: String) throws {
            let accepted = "give an account id, or the ARN of a role (arn:aws:iam::ACCOUNT:role/NAME), a user (arn:aws:iam::ACCOUNT:user/NAME), a role session (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION) or an account root (arn:aws:iam::ACCOUNT:root)"
            if Self.isAccountID(text) { self = .account(text); return }
            let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 6, parts[0] == "arn", Self.isAccountID(parts[4]) else {
                throw IAMScribeError(.invalidInput, "--principal \(text) is not a principal: \(accepted)")
            }
            let account = parts[4]
            let path = parts[5].split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            switch (parts[2], path.first) {
            case ("iam", "root") where path.count == 1:
                self = .account(account)
            case ("iam", "role") where path.count >= 2 && !(path.last ?? "").isEmpty:
                self = .role(account: account, name: path[path.count - 1])
            case ("iam", "user") where path.count >= 2 && !(path.last ?? "").isEmpty:
                self = .user(account: account, name: path[path.count - 1])
            case ("sts", "assumed-role") where path.count == 2 && !path[1].isEmpty:
                self = .role(account: account, name: path[1])
            case ("sts", "assumed-role") where path.count == 3 && !path[1].isEmpty && !path[2].isEmpty:
                self = .session(arn: text)
            default:
                throw IAMScribeError(.invalidInput, "--principal \(text) is not a principal: \(accepted)")
            }
        }

        static func isAccountID(_ text: String) -> Bool {
            text.utf8.count == 12 && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        }

        public var description: String {
            switch self {
            case .account(let account): "account \(account)"
            case .role(let account, let name): "role \(name) of \(account)"
            case .session(let arn): arn
            case .user(let account, let name): "user \(name) of \(account)"
            }
        }

        /// Whether an event's identity is this principal.
        func matches(_ record: CloudTrailRecord) -> Bool {
            switch self {
            case .account(let account):
                return record.identityAccountID == account
            case .role(let account, let name):
                if let issuer = record.sessionIssuerARN {
                    return Self.names(issuer, kind: "role", account: account, name: name)
                }
                // No session context: the assumed-role ARN names the role.
                guard let arn = record.identityARN else { return false }
                let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 6, parts[4] == account else { return false }
                let path = parts[5].split(separator: "/")
                return path.count >= 2 && path[0] == "assumed-role" && path[1].lowercased() == name.lowercased()
            case .session(let arn):
                return record.identityARN == arn
            case .user(let account, let name):
                guard record.identityType == "IAMUser", let arn = record.identityARN else { return false }
                return Self.names(arn, kind: "user", account: account, name: name)
            }
        }

        /// Whether an IAM ARN of a kind (`role`, `user`) is in the account and has the name (the
        /// last part of its path; IAM names are unique case-insensitively).
        private static func names(_ arn: String, kind: String, account: String, name: String) -> Bool {
            let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 6, parts[4] == account else { return false }
            let path = parts[5].split(separator: "/")
            guard path.count >= 2, path[0] == kind, let last = path.last else { return false }
            return last.lowercased() == name.lowercased()
        }
    }

    /// Keep the calls of these principals; empty: of every principal.
    public var principals: [Principal]
    /// Keep events at or after this time.
    public var since: Date?
    /// Keep events before this time.
    public var until: Date?
    /// Keep events logged in these regions (global services' events are kept whatever region).
    public var regions: Set<String>
    /// Keep events of these sources (`s3` or `s3.amazonaws.com`); empty: every source.
    public var eventSources: Set<String>

    /// Creates a filter; the default keeps every call.
    public init(principals: [Principal] = [], since: Date? = nil, until: Date? = nil,
                regions: Set<String> = [], eventSources: Set<String> = []) {
        self.principals = principals
        self.since = since
        self.until = until
        self.regions = regions
        self.eventSources = Set(eventSources.map { CloudTrailNames.prefix(of: $0) })
    }

    /// Parses a time as `--since` and `--until` take it: `2024-05-01`, `2024-05-01T12:00:00Z`,
    /// or an offset from now (`90d`, `12h`, `30m`).
    ///
    /// - Throws: ``IAMScribeError`` (`.invalidInput`) naming the forms accepted.
    public static func time(_ text: String, now: Date = Date()) throws -> Date {
        if let last = text.last, "dhm".contains(last), let amount = Int(text.dropLast()), amount >= 0 {
            let unit: Double = last == "d" ? 86400 : last == "h" ? 3600 : 60
            return now.addingTimeInterval(-Double(amount) * unit)
        }
        if text.utf8.count == 10, let date = CloudTrailRecord.time(text + "T00:00:00Z") { return date }
        if let date = CloudTrailRecord.time(text) { return date }
        throw IAMScribeError(.invalidInput, "\(text) is not a time: give a date (2024-05-01), a UTC time (2024-05-01T12:00:00Z) or an age (90d, 12h, 30m)")
    }
}
