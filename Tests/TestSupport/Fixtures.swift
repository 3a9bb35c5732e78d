import Foundation

/// The files in Tests/TestSupport/Fixtures, which both test targets read: captures and CSM events
/// recorded from the AWS CLI and boto3 against moto (Scripts/record-pcap-fixture,
/// Scripts/record-csm-fixture), the policies made of them, and policy documents.
public enum Fixtures {
    /// The URL of a fixture file.
    ///
    /// - Parameter name: The file's name, with its extension.
    /// - Returns: Where the file is in the built test resources; a missing fixture stops the tests.
    public static func url(_ name: String) -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            fatalError("missing fixture \(name)")
        }
        return url
    }

    /// The path of a fixture file.
    ///
    /// - Parameter name: The file's name, with its extension.
    public static func path(_ name: String) -> String {
        url(name).path
    }

    /// The text of a fixture file.
    ///
    /// - Parameter name: The file's name, with its extension.
    /// - Throws: When the file cannot be read as UTF-8.
    public static func text(_ name: String) throws -> String {
        try String(contentsOf: url(name), encoding: .utf8)
    }
}
