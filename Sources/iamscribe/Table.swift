import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import IAMScribeCore

struct Table: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect the bundled action table.",
        subcommands: [Stats.self, PassRole.self]
    )

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count services, operations, mapped and unmapped ones.")

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            let stats = ActionTable.bundled.statistics
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                Output.write(String(decoding: try encoder.encode(stats), as: UTF8.self) + "\n")
            } else {
                let percent = stats.operations == 0 ? 0 : Double(stats.unmapped) * 100 / Double(stats.operations)
                Output.write("""
                services:       \(stats.services)
                operations:     \(stats.operations)
                mapped:         \(stats.mapped)
                unmapped:       \(stats.unmapped) (\(Output.formatted("%.2f", percent))%)
                permissionless: \(stats.permissionless)
                iam:PassRole:   \(stats.passRoleAlways + stats.passRoleConditional) operations hand a role over (\(stats.passRoleAlways) always, \(stats.passRoleConditional) conditional)
                resources:      \(stats.resourceMappings) operations of \(stats.resourceMappedServices) services have hand-written resource mappings; the others fill ARNs from the members named like the template's variables
                IAM prefixes:   \(stats.iamPrefixes)
                IAM actions:    \(stats.iamActions)
                inputs:         \(stats.inputs.joined(separator: " "))

                """)
            }
        }
    }

    struct PassRole: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "passrole",
            abstract: "List the operations that hand an IAM role to a service (iam:PassRole), always or conditionally.")

        @Flag(help: "Print JSON: one object per operation.")
        var json = false

        func run() throws {
            let found = ActionTable.bundled.passRoleOperations
            var out = ""
            for entry in found {
                if json {
                    out += Self.jsonLine(entry)
                } else {
                    let members = entry.members.isEmpty ? "(override)" : entry.members.map(Self.describe).joined(separator: "; ")
                    out += "\(entry.service.serviceID)\t\(entry.operation.name)\t\(Self.describe(entry.requirement))\t\(members)\n"
                }
            }
            if !json {
                let always = found.filter { $0.requirement == .always }.count
                out += "\(found.count) operations: \(always) always, \(found.count - always) conditional\n"
            }
            // Names from the bundled table, not from calls: nothing to escape.
            Output.write(out)
        }

        static func describe(_ requirement: OperationInfo.RoleHandOff.Requirement) -> String {
            switch requirement {
            case .always: return "always"
            case .when(let members): return "when " + LookupRendering.describe(members.split(separator: ",").map(String.init))
            case .undetermined: return "depending on the call"
            }
        }

        static func describe(_ member: OperationInfo.RoleHandOff) -> String {
            let kind = member.kind == .role ? "" : member.kind == .instanceProfile ? " (instance profile)" : " (attribute)"
            return member.path + kind + " [" + describe(member.requirement) + "]"
        }

        static func jsonLine(_ entry: ActionTable.PassRoleOperation) -> String {
            func requirement(_ value: OperationInfo.RoleHandOff.Requirement) -> String {
                switch value {
                case .always: return "\"always\":true,\"when\":[]"
                case .when(let members): return "\"always\":false,\"when\":" + JSONText.list(members.split(separator: ",").map(String.init))
                case .undetermined: return "\"always\":false,\"when\":[]"
                }
            }
            let members = entry.members.map {
                "{\"path\":\(JSONText.quote($0.path)),\"kind\":\(JSONText.quote($0.kind.rawValue)),\(requirement($0.requirement))}"
            }
            return "{\"service\":\(JSONText.quote(entry.service.serviceID)),\"module\":\(JSONText.quote(entry.service.module))"
                + ",\"operation\":\(JSONText.quote(entry.operation.name)),\(requirement(entry.requirement))"
                + ",\"members\":[\(members.joined(separator: ","))]}\n"
        }
    }
}
