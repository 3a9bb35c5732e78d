/// Who signed a request, where, and for which service: the scope of a SigV4 (or SigV4a)
/// credential, a presigned URL's `X-Amz-Credential`, or the key id of a SigV2 signature.
///
/// Signatures are never read: only the credential's key id, region and service.
struct CredentialScope: Equatable {
    /// The access key id.
    let key: String
    /// The region; absent from SigV4a and SigV2.
    let region: String?
    /// The signing name of the service; absent from SigV2.
    let service: String?

    /// A scope of these parts.
    init(key: String, region: String?, service: String?) {
        self.key = key
        self.region = region
        self.service = service
    }

    /// Splits `KEY/DATE/REGION/SERVICE/aws4_request` (or SigV4a's `KEY/DATE/SERVICE/aws4_request`);
    /// a credential of another shape gives its first part as the key, or nil when that is empty.
    init?(credential: String) {
        let parts = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 5: (key, region, service) = (parts[0], parts[2], parts[3])
        case 4: (key, region, service) = (parts[0], nil, parts[2])
        default:
            guard let first = parts.first, !first.isEmpty else { return nil }
            (key, region, service) = (first, nil, nil)
        }
    }

    /// The scope of a SigV4 (or SigV4a) `Authorization` header, or the key id of a SigV2 one
    /// (`AWS KEY:SIGNATURE`).
    init?(authorization: UnsafeRawBufferPointer) {
        if HTTPBytes.hasPrefix(authorization, "AWS ") {
            let rest = authorization[4...]
            guard let colon = rest.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            self.init(key: String(decoding: authorization[4..<colon], as: UTF8.self), region: nil, service: nil)
            return
        }
        guard let credential = Self.credential(in: authorization) else { return nil }
        self.init(credential: String(decoding: credential, as: UTF8.self))
    }

    /// The scope of a presigned URL: its `X-Amz-Credential` query parameter, decoded.
    init?(presignedQuery query: [(key: String, value: String)]) {
        guard let credential = query.first(where: { $0.key == "X-Amz-Credential" })?.value else { return nil }
        self.init(credential: credential)
    }

    /// The SigV4 (or SigV4a) credential of an `Authorization` header: what follows `Credential=`,
    /// as a view into the header's bytes (resolved by its bytes, see ``HeadFactsCache``).
    static func credential(in authorization: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let marker = credentialMarker
        guard let start = BodyMembers.firstIndex(of: marker, in: authorization, from: 0) else { return nil }
        var end = start + marker.count
        while end < authorization.count, authorization[end] != UInt8(ascii: ","), authorization[end] != 0x20 { end += 1 }
        return UnsafeRawBufferPointer(rebasing: authorization[(start + marker.count)..<end])
    }

    private static let credentialMarker = Array("Credential=".utf8)

    /// The scope as one key part for ``HeadFactsCache`` (a SigV2 or presigned scope is rare).
    var cacheKey: [UInt8] {
        Array("\(key)\u{0}\(service ?? "-")\u{0}\(region ?? "-")".utf8)
    }
}
