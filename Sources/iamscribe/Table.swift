import ArgumentParser
import Foundation
import IAMScribeCore

struct Table: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect the bundled action table.",
        subcommands: [Stats.self]
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
                unmapped:       \(stats.unmapped) (\(String(format: "%.2f", percent))%)
                permissionless: \(stats.permissionless)
                IAM prefixes:   \(stats.iamPrefixes)
                IAM actions:    \(stats.iamActions)
                inputs:         \(stats.inputs.joined(separator: " "))

                """)
            }
        }
    }
}
