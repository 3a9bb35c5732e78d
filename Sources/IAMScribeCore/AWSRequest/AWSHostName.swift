/// What an AWS endpoint host name says: the endpoint prefix, the region, and for S3's
/// virtual-hosted style, the bucket.
struct AWSHostName: Equatable {
    /// The endpoint prefix label (`s3`, `dynamodb`, `s3-control`), lowercased.
    let endpointPrefix: String
    /// The region label, when the host names one.
    let region: String?
    /// The labels before the endpoint prefix (an S3 bucket, an account id), when any.
    let leading: String?

    /// Parses a host name (a port is ignored); nil when it is not an AWS endpoint.
    ///
    /// - Parameter isEndpointPrefix: Whether a label is a known endpoint prefix.
    init?(_ host: String, isEndpointPrefix: (String) -> Bool) {
        var name = Substring(host.lowercased())
        if name.hasPrefix("[") { return nil }
        if let colon = name.lastIndex(of: ":") { name = name[..<colon] }
        if name.hasSuffix(".") { name = name.dropLast() }
        let suffixes = [".amazonaws.com.cn", ".amazonaws.com", ".api.aws", ".on.aws", ".api.amazonwebservices.com.cn"]
        guard let suffix = suffixes.first(where: { name.hasSuffix($0) }) else { return nil }
        let labels = name.dropLast(suffix.count).split(separator: ".", omittingEmptySubsequences: false)
        var region: String?
        for index in labels.indices.reversed() {
            let label = String(labels[index])
            if Self.isRegion(label) {
                region = region ?? label
                continue
            }
            if label == "dualstack" || label == "fips" { continue }
            var candidate = label
            if candidate.hasSuffix("-fips") { candidate = String(candidate.dropLast(5)) }
            var labelRegion: String?
            if !isEndpointPrefix(candidate), candidate.hasPrefix("s3-") {
                // Legacy S3 forms: s3-us-west-2, s3-external-1, s3-accelerate, s3-website-...
                let rest = String(candidate.dropFirst(3))
                if Self.isRegion(rest) { labelRegion = rest }
                candidate = "s3"
            }
            guard isEndpointPrefix(candidate) else { continue }
            endpointPrefix = candidate
            self.region = labelRegion ?? region
            leading = index > 0 ? labels[..<index].joined(separator: ".") : nil
            return
        }
        return nil
    }

    /// Whether a label looks like a region: `us-east-1`, `us-gov-west-1`, `cn-north-1`.
    static func isRegion(_ label: String) -> Bool {
        let parts = label.split(separator: "-")
        guard parts.count >= 3, parts.count <= 4, let last = parts.last, last.allSatisfy(\.isNumber),
              parts[0].count == 2, parts.dropLast().allSatisfy({ $0.allSatisfy(\.isLetter) }) else { return false }
        return true
    }
}
