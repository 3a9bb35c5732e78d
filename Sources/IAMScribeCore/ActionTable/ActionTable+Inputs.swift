extension ActionTable {
    /// The pinned inputs the bundled table was generated from (`botocore==1.43.11`, ...), read
    /// from its first record without loading the table: `iamscribe --version` prints them.
    public static var bundledInputs: [String] {
        bundledActionTableText.withUTF8Buffer { text in
            // The text starts with the version record: `V`, the format, the inputs, tab-separated.
            let line = text.prefix { $0 != UInt8(ascii: "\n") }
            let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
            guard fields.count > 2, fields[0].elementsEqual([UInt8(ascii: "V")]) else { return [] }
            return fields[2].split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        }
    }
}
