#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Resolving a head's service: which services its Host, `X-Amz-Target` and credential scope
/// name, cached in ``HeadFactsCache`` by their bytes, with the caches of operations by name,
/// parsed host names and interned strings.
extension AWSRequestDecoder {
    /// The facts of a head's Host, `X-Amz-Target` and credential, cached by their bytes.
    ///
    /// - Parameters:
    ///   - credential: The `Authorization` header's SigV4 credential (`KEY/DATE/REGION/SERVICE/aws4_request`).
    ///   - scope: The scope found otherwise, when there is no such credential.
    func headFacts(host: UnsafeRawBufferPointer?, target: UnsafeRawBufferPointer?,
                   credential: UnsafeRawBufferPointer?, scope: CredentialScope?) -> HeadFacts {
        // A SigV2 or presigned scope (rare) joins the key as one more part.
        Self.withOptionalBytes(scope?.cacheKey) { scopePart in
            let parts = (host, target, credential, scopePart)
            let hash = HeadFactsCache.hash(parts)
            if let known = factsCache.facts(for: parts, hash: hash) { return known }
            let scope = credential.map { CredentialScope(credential: String(decoding: $0, as: UTF8.self)) } ?? scope
            let facts = resolveHead(host: host, target: target, scope: scope)
            factsCache.insert(facts, for: parts, hash: hash)
            return facts
        }
    }

    static func withOptionalBytes<T>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> T) -> T {
        guard let bytes else { return body(nil) }
        return bytes.withUnsafeBytes { body($0) }
    }

    /// Resolves a head's Host, `X-Amz-Target` and credential scope to the services it may be for.
    private func resolveHead(host hostBytes: UnsafeRawBufferPointer?, target: UnsafeRawBufferPointer?,
                             scope: CredentialScope?) -> HeadFacts {
        let host = hostBytes.map { intern($0) }
        let awsHost = host.flatMap { hostName($0) }
        let amzTarget = target.map { String(decoding: $0, as: UTF8.self) }

        var candidates: [ServiceInfo] = []
        if let amzTarget, let dot = amzTarget.lastIndex(of: ".") {
            candidates = byTargetPrefix[String(amzTarget[..<dot])] ?? []
            if let signing = scope?.service?.lowercased() {
                let signed = candidates.filter { $0.signingName.lowercased() == signing }
                if !signed.isEmpty { candidates = signed }
            }
        }
        if candidates.isEmpty, let signing = scope?.service?.lowercased() {
            candidates = bySigningName[signing] ?? []
            if candidates.isEmpty, let service = table.service(named: signing) { candidates = [service] }
            // Several services share a signing name (s3 and s3control, rds and neptune): the host's
            // endpoint prefix, then the service named like the signing name, go first.
            if candidates.count > 1 { candidates = candidates.enumerated().sorted { a, b in
                func rank(_ service: ServiceInfo) -> Int {
                    if let awsHost, service.endpointPrefix.lowercased() == awsHost.endpointPrefix { return 0 }
                    return service.module.lowercased() == signing ? 1 : 2
                }
                return (rank(a.element), a.offset) < (rank(b.element), b.offset)
            }.map(\.element) }
        }
        if candidates.isEmpty, let awsHost {
            candidates = byEndpointPrefix[awsHost.endpointPrefix] ?? []
        }
        let targetName = amzTarget.map { amzTarget in
            amzTarget.lastIndex(of: ".").map { String(amzTarget[amzTarget.index(after: $0)...]) } ?? amzTarget
        }
        return HeadFacts(host: host, awsHost: awsHost, region: (scope?.region ?? awsHost?.region).map { intern($0) },
                         accessKeyID: scope.map { AccessKeyID($0.key) }, candidates: candidates, targetName: targetName,
                         targetOperations: targetName.map { name in candidates.map { operation(name, of: $0) } } ?? [])
    }

    /// An operation of a service, by its exact or case-insensitive name, cached.
    func operation(_ name: String, of service: ServiceInfo) -> OperationInfo? {
        if let known = operationCache[service.module]?[name] { return known }
        let found = table.operation(name, of: service)
        if let found, (operationCache[service.module]?.count ?? 0) < 4096 { operationCache[service.module, default: [:]][name] = found }
        return found
    }

    /// The parsed host name, cached by host.
    private func hostName(_ host: String) -> AWSHostName? {
        if let known = hostCache[host] { return known }
        let parsed = AWSHostName(host, isEndpointPrefix: { self.byEndpointPrefix[$0] != nil })
        if hostCache.count > 4096 { hostCache.removeAll() }
        hostCache[host] = .some(parsed)
        return parsed
    }

    /// Shares one string for repeated values (hosts, regions), so calls do not each hold a copy.
    private func intern(_ bytes: UnsafeRawBufferPointer) -> String {
        intern(String(decoding: bytes, as: UTF8.self))
    }

    private func intern(_ text: String) -> String {
        if let known = strings[text] { return known }
        if strings.count > 4096 { strings.removeAll() }
        strings[text] = text
        return text
    }
}
