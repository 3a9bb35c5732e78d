import Foundation

/// Turns an HTTP request into the AWS call it makes: service, operation, region, access key id,
/// and the parameters the action table says locate resources or roles.
///
/// Decoding happens in two steps because the request's head and body come apart: ``decodeHead``
/// names the service (SigV4 credential scope, presigned `X-Amz-Credential`, `X-Amz-Target`, or the
/// Host header) and, for most protocols, the operation; ``finish`` reads the body's members (and
/// the operation, for the query protocols). Authorization values, signatures, session tokens and
/// bodies are never kept: only the table's resource members and the presence of trigger members.
///
/// Its stored properties are `@exclusivity(unchecked)`: one thread drives a capture's decoding
/// and no access to one of them overlaps another, so the runtime checks (a tenth of the decoding
/// time of a large capture) are left out.
final class AWSRequestDecoder {
    /// What the body must be read as, once it has come.
    enum BodyFormat {
        case none, json, form, cbor, xml
    }

    /// A request whose head is decoded.
    ///
    /// A class: it is filled in place from the head to the end of the body, where a struct this
    /// size was copied (with every string it holds retained) at each step.
    final class Pending {
        @exclusivity(unchecked) var call: ObservedCall
        /// The services the request may be for, best first.
        @exclusivity(unchecked) var candidates: [ServiceInfo]
        @exclusivity(unchecked) var service: ServiceInfo
        @exclusivity(unchecked) var operation: OperationInfo?
        /// Room for a few from the start: most requests have two or three.
        @exclusivity(unchecked) var parameters = [String: String](minimumCapacity: 4)
        @exclusivity(unchecked) var bodyFormat: BodyFormat = .none
        /// The query string's pairs, for query-protocol requests sent with GET.
        @exclusivity(unchecked) var query: [(key: String, value: String)] = []
        /// Whether the body holds members the call's parameters need.
        @exclusivity(unchecked) var bodyMatters = false
        /// Whether the operation has resource members that travel in the body.
        @exclusivity(unchecked) var hasBodyMembers = false

        init(call: ObservedCall, candidates: [ServiceInfo], service: ServiceInfo) {
            self.call = call
            self.candidates = candidates
            self.service = service
        }
    }

    /// Why a request did not become a call.
    enum Failure: Error {
        /// Nothing names an AWS service.
        case notAWS
        /// The service is known; the operation could not be told.
        case unknownOperation
    }

    let table: ActionTable
    @exclusivity(unchecked) private var bySigningName: [String: [ServiceInfo]] = [:]
    @exclusivity(unchecked) private var byEndpointPrefix: [String: [ServiceInfo]] = [:]
    @exclusivity(unchecked) private var byTargetPrefix: [String: [ServiceInfo]] = [:]
    @exclusivity(unchecked) private var templates: [ObjectIdentifier: [String: [RESTTemplate]]] = [:]
    @exclusivity(unchecked) private var strings: [String: String] = [:]
    @exclusivity(unchecked) private var plans: [ObjectIdentifier: OperationPlan] = [:]
    @exclusivity(unchecked) private var operationCache: [String: [String: OperationInfo]] = [:]
    @exclusivity(unchecked) private var hostCache: [String: AWSHostName?] = [:]

    init(table: ActionTable) {
        self.table = table
        for service in table.services {
            bySigningName[service.signingName.lowercased(), default: []].append(service)
            byEndpointPrefix[service.endpointPrefix.lowercased(), default: []].append(service)
            if !service.targetPrefix.isEmpty { byTargetPrefix[service.targetPrefix, default: []].append(service) }
        }
    }

    // MARK: - Head

    /// Decodes a request's head.
    ///
    /// - Returns: The pending call, or why there is none yet to be had.
    func decodeHead(_ head: HTTPHead, time: Date) -> Result<Pending, Failure> {
        // The target: origin form (/path?query) or absolute form (http://host/path?query, to a proxy).
        var target = head.slice(head.target)
        var authority: UnsafeRawBufferPointer?
        if HTTPBytes.hasPrefix(target, "http://", ignoringCase: true) || HTTPBytes.hasPrefix(target, "https://", ignoringCase: true) {
            let start = (target.firstIndex(of: UInt8(ascii: ":")) ?? 0) + 3
            let slash = target[start...].firstIndex(of: UInt8(ascii: "/")) ?? target.count
            authority = UnsafeRawBufferPointer(rebasing: target[start..<slash])
            target = UnsafeRawBufferPointer(rebasing: target[slash...])
        }
        let questionMark = target.firstIndex(of: UInt8(ascii: "?"))
        let path = UnsafeRawBufferPointer(rebasing: target[..<(questionMark ?? target.count)])
        let queryBytes = questionMark.map { UnsafeRawBufferPointer(rebasing: target[($0 + 1)...]) }
        let query = queryBytes.map { PercentDecoding.pairs($0) } ?? []
        let hostBytes = head.value(of: .host) ?? authority

        // Who signed, where, for which service: a SigV4 credential is resolved with the other
        // facts, by its bytes; a SigV2 key or a presigned URL's credential is split here.
        var credential: UnsafeRawBufferPointer?
        var scope: Scope?
        if let authorization = head.value(of: .authorization) {
            credential = Self.credential(in: authorization)
            if credential == nil { scope = Self.credentialScope(authorization: authorization) }
        } else if let presigned = query.first(where: { $0.key == "X-Amz-Credential" })?.value {
            scope = Self.credentialScope(credential: presigned)
        }
        let facts = headFacts(host: hostBytes, target: head.value(of: .amzTarget), credential: credential, scope: scope)
        let candidates = facts.candidates
        let awsHost = facts.awsHost
        guard let first = candidates.first else { return .failure(.notAWS) }

        let call = ObservedCall(
            source: .pcap, time: time, service: first.module, operation: "",
            region: facts.region, accessKeyID: facts.accessKeyID, endpoint: facts.host)

        // The operation, by protocol; the first candidate service that knows it wins.
        let pathSegments = Self.segments(of: path)
        for (index, service) in candidates.enumerated() {
            let pending = Pending(call: call, candidates: candidates, service: service)
            pending.query = query
            if facts.targetName != nil {
                pending.operation = facts.targetOperations[index]
                pending.bodyFormat = .json
            } else if let name = Self.rpcV2Operation(pathSegments) {
                pending.operation = operation(name, of: service)
                pending.bodyFormat = .cbor
            } else {
                switch service.wireProtocol {
                case .query, .ec2:
                    if let action = query.first(where: { $0.key == "Action" })?.value {
                        pending.operation = operation(action, of: service)
                    }
                    pending.bodyFormat = .form
                case .restJSON, .restXML:
                    var segments = pathSegments
                    var bucket: [UInt8]?
                    if service.module == "s3", let leading = awsHost?.leading, !leading.isEmpty {
                        bucket = Array(leading.utf8)
                    }
                    pending.operation = bucket.map { bucket in
                        bucket.withUnsafeBytes { bucket in
                            segments.insert(bucket, at: 0)
                            return matchREST(service: service, head: head, segments: segments, query: query,
                                             parameters: &pending.parameters)
                        }
                    } ?? matchREST(service: service, head: head, segments: segments, query: query,
                                   parameters: &pending.parameters)
                    pending.bodyFormat = service.wireProtocol == .restJSON ? .json : .xml
                    if pending.operation == nil,
                       head.value(of: .contentType).map({ HTTPBytes.contains($0, "x-www-form-urlencoded") }) == true {
                        pending.bodyFormat = .form
                    }
                case .json:
                    pending.bodyFormat = .json
                case .smithyRPCv2CBOR:
                    break
                }
            }
            if let operation = pending.operation {
                pending.service = service
                // Changed only when it differs: the call still shares its fields with `call`.
                if service.module != first.module { pending.call.service = service.module }
                let plan = self.plan(of: operation)
                let unresolved = headParameters(head, query: query, plan: plan, into: pending) || plan.hasDottedTrigger
                pending.hasBodyMembers = plan.hasBodyMembers
                if pending.bodyFormat == .json && service.wireProtocol == .restJSON || pending.bodyFormat == .xml {
                    // A REST body is a JSON or XML document, or a payload (an S3 object) whose
                    // members all travel as headers: only a structured body is read for triggers.
                    let structured = head.value(of: .contentType).map {
                        HTTPBytes.contains($0, "json") || HTTPBytes.contains($0, "xml")
                    } ?? false
                    pending.bodyMatters = pending.hasBodyMembers || plan.hasDottedTrigger || (structured && unresolved)
                    if !pending.bodyMatters { pending.bodyFormat = .none }
                } else {
                    pending.bodyMatters = pending.hasBodyMembers || unresolved
                }
                return .success(pending)
            }
            if pending.bodyFormat == .form { return .success(pending) }
        }
        return .failure(.unknownOperation)
    }

    /// A credential scope: access key id, region (absent from SigV4a and SigV2) and service.
    typealias Scope = (key: String, region: String?, service: String?)

    /// What a head's service-naming headers resolve to: the same for every request with the same
    /// Host, `X-Amz-Target` and credential, so resolved once for them.
    private final class HeadFacts {
        /// The Host header (or the absolute target's authority), interned.
        let host: String?
        let awsHost: AWSHostName?
        /// The call's region: the credential scope's, else the host's.
        let region: String?
        /// The signing key.
        let accessKeyID: AccessKeyID?
        /// The services the request may be for, best first.
        let candidates: [ServiceInfo]
        /// The operation named by `X-Amz-Target`, when the head has one.
        let targetName: String?
        /// That operation in each candidate service, when the head has `X-Amz-Target`; else empty.
        let targetOperations: [OperationInfo?]

        init(host: String?, awsHost: AWSHostName?, region: String?, accessKeyID: AccessKeyID?, candidates: [ServiceInfo],
             targetName: String?, targetOperations: [OperationInfo?]) {
            self.host = host
            self.awsHost = awsHost
            self.region = region
            self.accessKeyID = accessKeyID
            self.candidates = candidates
            self.targetName = targetName
            self.targetOperations = targetOperations
        }
    }

    /// Head facts resolved lately, in a two-way cache: a hash of the key's bytes picks a pair of
    /// slots, and a new key takes an empty one or replaces an old one. Dictionary's SipHash over
    /// a head's host, target and credential cost more than the rest of resolving its service.
    private struct FactsEntry {
        let hash: UInt64
        /// The key's parts, each as a presence byte, a length and the bytes.
        let key: [UInt8]
        let facts: HeadFacts
    }

    @exclusivity(unchecked) private var factsCache = [FactsEntry?](repeating: nil, count: 4096)

    /// The facts of a head's Host, `X-Amz-Target` and credential, cached by their bytes.
    ///
    /// - Parameters:
    ///   - credential: The `Authorization` header's SigV4 credential (`KEY/DATE/REGION/SERVICE/aws4_request`).
    ///   - scope: The scope found otherwise, when there is no such credential.
    private func headFacts(host: UnsafeRawBufferPointer?, target: UnsafeRawBufferPointer?,
                           credential: UnsafeRawBufferPointer?, scope: Scope?) -> HeadFacts {
        // A SigV2 or presigned scope (rare) joins the key as one more part.
        let scopeBytes = scope.map { Array("\($0.key)\u{0}\($0.service ?? "-")\u{0}\($0.region ?? "-")".utf8) }
        return Self.withOptionalBytes(scopeBytes) { scopePart in
            let parts = (host, target, credential, scopePart)
            var hash: UInt64 = 0x9E37_79B9_7F4A_7C15
            Self.fold(parts.0, into: &hash)
            Self.fold(parts.1, into: &hash)
            Self.fold(parts.2, into: &hash)
            Self.fold(parts.3, into: &hash)
            // Two slots a key: two keys that share one do not push each other out.
            let first = Int(truncatingIfNeeded: hash ^ hash >> 32) & (factsCache.count - 1)
            for slot in [first, first ^ 1] {
                if let entry = factsCache[slot], entry.hash == hash, Self.key(entry.key, matches: parts) { return entry.facts }
            }
            let slot = factsCache[first] == nil ? first : factsCache[first ^ 1] == nil ? first ^ 1 : first ^ Int(hash >> 63)
            let scope = credential.map { Self.credentialScope(credential: String(decoding: $0, as: UTF8.self)) } ?? scope
            let facts = resolveHead(host: host, target: target, scope: scope)
            var key: [UInt8] = []
            for part in [parts.0, parts.1, parts.2, parts.3] {
                guard let part else {
                    key.append(0)
                    continue
                }
                key.append(1)
                withUnsafeBytes(of: UInt32(truncatingIfNeeded: part.count).littleEndian) { key.append(contentsOf: $0) }
                key.append(contentsOf: part)
            }
            factsCache[slot] = FactsEntry(hash: hash, key: key, facts: facts)
            return facts
        }
    }

    private static func withOptionalBytes<T>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> T) -> T {
        guard let bytes else { return body(nil) }
        return bytes.withUnsafeBytes { body($0) }
    }

    /// Folds a key part, its presence and length included, into a hash.
    private static func fold(_ part: UnsafeRawBufferPointer?, into hash: inout UInt64) {
        guard let part else {
            hash = (hash ^ 0xFF) &* 0xBF58_476D_1CE4_E5B9
            return
        }
        hash = (hash ^ UInt64(part.count)) &* 0xBF58_476D_1CE4_E5B9
        var offset = 0
        while offset + 8 <= part.count {
            hash = (hash ^ UInt64(littleEndian: part.loadUnaligned(fromByteOffset: offset, as: UInt64.self))) &* 0x94D0_49BB_1331_11EB
            hash ^= hash >> 31
            offset += 8
        }
        var tail: UInt64 = 0
        while offset < part.count {
            tail = tail << 8 | UInt64(part[offset])
            offset += 1
        }
        hash = (hash ^ tail) &* 0xBF58_476D_1CE4_E5B9
        hash ^= hash >> 29
    }

    /// Whether a cached key holds exactly these parts.
    private static func key(_ key: [UInt8], matches parts: (UnsafeRawBufferPointer?, UnsafeRawBufferPointer?,
                                                            UnsafeRawBufferPointer?, UnsafeRawBufferPointer?)) -> Bool {
        key.withUnsafeBytes { key in
            var offset = 0
            return matchPart(key, &offset, parts.0) && matchPart(key, &offset, parts.1) && matchPart(key, &offset, parts.2)
                && matchPart(key, &offset, parts.3) && offset == key.count
        }
    }

    /// Whether the key part at `offset` is `part`; moves `offset` past it.
    @inline(__always)
    private static func matchPart(_ key: UnsafeRawBufferPointer, _ offset: inout Int, _ part: UnsafeRawBufferPointer?) -> Bool {
        guard offset < key.count else { return false }
        let present = key[offset] == 1
        offset += 1
        guard let part else { return !present }
        guard present, offset + 4 <= key.count,
              Int(UInt32(littleEndian: key.loadUnaligned(fromByteOffset: offset, as: UInt32.self))) == part.count,
              offset + 4 + part.count <= key.count else { return false }
        let stored = UnsafeRawBufferPointer(rebasing: key[(offset + 4)..<(offset + 4 + part.count)])
        offset += 4 + part.count
        return HTTPBytes.equal(stored, part)
    }

    /// Resolves a head's Host, `X-Amz-Target` and credential scope to the services it may be for.
    private func resolveHead(host hostBytes: UnsafeRawBufferPointer?, target: UnsafeRawBufferPointer?,
                             scope: Scope?) -> HeadFacts {
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

    /// The parameters a head carries: URI labels (already set), query string, headers, and the
    /// presence of trigger members sent as headers or query parameters.
    ///
    /// - Returns: Whether some trigger the head could have carried is still unknown.
    private func headParameters(_ head: HTTPHead, query: [(key: String, value: String)], plan: OperationPlan,
                                into pending: Pending) -> Bool {
        for member in plan.queryMembers {
            if let value = query.first(where: { $0.key == member.wireName })?.value {
                pending.parameters[member.name] = Self.bounded(value)
            }
        }
        for member in plan.headerMembers {
            if let value = head.value(ofLowercased: member.lowercasedWireName) {
                pending.parameters[member.name] = Self.bounded(String(decoding: value, as: UTF8.self))
            }
        }
        guard !plan.headTriggers.isEmpty else { return false }
        var open = plan.headTriggers.filter { pending.parameters[$0.name] == nil }
        guard !open.isEmpty else { return false }
        for (key, _) in query where !open.isEmpty {
            open.removeAll { trigger in
                guard key.utf8.count == trigger.lowercased.count, key.lowercased().utf8.elementsEqual(trigger.lowercased) else { return false }
                pending.parameters[trigger.name] = ""
                return true
            }
        }
        // Each header name is normalized once, then compared with the triggers still open.
        var normalized = normalizedName
        normalizedName = []
        defer { normalizedName = normalized }
        for field in head.fields where !open.isEmpty {
            OperationPlan.normalize(headerName: head.slice(field.name), into: &normalized)
            open.removeAll { trigger in
                guard normalized == trigger.lowercased || (trigger.alias.map { normalized == $0 } ?? false) else { return false }
                pending.parameters[trigger.name] = ""
                return true
            }
        }
        return !open.isEmpty
    }

    /// A header name being normalized, reused from request to request.
    @exclusivity(unchecked) private var normalizedName: [UInt8] = []

    /// The plan of an operation, cached.
    private func plan(of operation: OperationInfo) -> OperationPlan {
        if let known = plans[operation.identity] { return known }
        let plan = OperationPlan(operation)
        if plans.count < 65_536 { plans[operation.identity] = plan }
        return plan
    }

    /// An operation of a service, by its exact or case-insensitive name, cached.
    private func operation(_ name: String, of service: ServiceInfo) -> OperationInfo? {
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

    /// The SigV4 (or SigV4a) credential of an `Authorization` header: what follows `Credential=`.
    private static func credential(in authorization: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let marker = credentialMarker
        guard let start = BodyMembers.firstIndex(of: marker, in: authorization, from: 0) else { return nil }
        var end = start + marker.count
        while end < authorization.count, authorization[end] != UInt8(ascii: ","), authorization[end] != 0x20 { end += 1 }
        return UnsafeRawBufferPointer(rebasing: authorization[(start + marker.count)..<end])
    }

    private static let credentialMarker = Array("Credential=".utf8)

    /// Matches a REST request against the service's templates, most specific first.
    private func matchREST(
        service: ServiceInfo, head: HTTPHead, segments: [UnsafeRawBufferPointer],
        query: [(key: String, value: String)], parameters: inout [String: String]
    ) -> OperationInfo? {
        // Templates can tie (S3's DeleteObject and AbortMultipartUpload are both
        // DELETE /{Bucket}/{Key+}); the query members the request carries break the tie.
        var best: (template: RESTTemplate, labels: [RESTTemplate.LabelRange], evidence: Int)?
        let method = Self.methodName(head.slice(head.method))
        let isS3 = service.module == "s3"
        for template in templates(of: service, method: method) {
            if let best, template.specificity < best.template.specificity { break }
            guard let labels = template.match(pathSegments: segments, query: query) else { continue }
            var evidence = 0
            for member in template.evidenceMembers {
                let present = member.inQuery
                    ? query.contains { $0.key == member.wireName }
                    : head.value(ofLowercased: member.lowercasedWireName) != nil
                if present {
                    evidence += 2
                } else if member.selects {
                    evidence -= 1
                }
            }
            if isS3, let header = Self.requiredHeaders[template.operation.name] {
                if head.value(ofLowercased: header) == nil { continue }
                evidence += 2
            }
            if best == nil || evidence > best?.evidence ?? 0 { best = (template, labels, evidence) }
        }
        guard let best else { return nil }
        for label in best.labels {
            for (name, member) in best.template.uriMembers where name == label.name {
                parameters[member] = Self.bounded(RESTTemplate.value(of: label, in: segments))
            }
        }
        return best.template.operation
    }

    /// A request method as text: the common ones without decoding their bytes.
    private static func methodName(_ bytes: UnsafeRawBufferPointer) -> String {
        for known in ["GET", "PUT", "POST", "HEAD", "DELETE", "PATCH"] where bytes.elementsEqual(known.utf8) { return known }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// S3 operations told from PutObject and UploadPart only by a header the table does not list
    /// (lowercased).
    private static let requiredHeaders = ["CopyObject": Array("x-amz-copy-source".utf8),
                                          "UploadPartCopy": Array("x-amz-copy-source".utf8)]

    /// A service's templates for one method, most specific first.
    private func templates(of service: ServiceInfo, method: String) -> [RESTTemplate] {
        if let cached = templates[service.identity] { return cached[method] ?? [] }
        let compiled = table.operations(of: service).map(RESTTemplate.init).sorted { $0.specificity > $1.specificity }
        let byMethod = Dictionary(grouping: compiled) { $0.operation.httpMethod }
        templates[service.identity] = byMethod
        return byMethod[method] ?? []
    }

    // MARK: - Body

    /// Completes a call with its body's members.
    ///
    /// - Parameter body: The whole body, or nil when it was too large to keep.
    func finish(_ pending: Pending, body: UnsafeRawBufferPointer?) -> Result<ObservedCall, Failure> {
        var members: [BodyMembers.Member] = []
        var formPairs: [(key: String, value: String)] = []
        switch pending.bodyFormat {
        case .form:
            formPairs = (body.map { PercentDecoding.pairs($0) } ?? []) + pending.query
            if pending.operation == nil, let action = formPairs.first(where: { $0.key == "Action" })?.value {
                for service in pending.candidates {
                    if let operation = operation(action, of: service) {
                        pending.service = service
                        pending.operation = operation
                        pending.call.service = service.module
                        pending.bodyMatters = true
                        pending.hasBodyMembers = true
                        break
                    }
                }
            }
            members = formPairs.map { ($0.key, $0.value) }
        case .json:
            if pending.bodyMatters, let body, let operation = pending.operation {
                members = BodyMembers.json(body, wanted: plan(of: operation).wantedJSONMembers)
            }
        case .cbor:
            if pending.bodyMatters, let body { members = BodyMembers.cbor(body) }
        case .xml, .none:
            break
        }
        guard let operation = pending.operation else { return .failure(.unknownOperation) }
        pending.call.operation = operation.name
        guard pending.bodyMatters else {
            pending.call.parameters = pending.parameters
            return .success(pending.call)
        }
        guard let body else {
            // The body was too large to read. When it holds members that locate resources, the
            // parameters are unknown; else only triggers could hide in it, and a REST payload
            // that large is data, not members.
            let isREST = pending.service.wireProtocol.isREST && pending.bodyFormat != .form
            pending.call.parameters = pending.hasBodyMembers || !isREST ? nil : pending.parameters
            return .success(pending.call)
        }
        // Taken out, so that the dictionary is changed in place rather than copied.
        var parameters = pending.parameters
        pending.parameters = [:]
        for member in operation.resourceMembers where member.location == "body" {
            if pending.bodyFormat == .xml {
                if let value = BodyMembers.xmlElement(body, named: member.wireName) { parameters[member.name] = Self.bounded(value) }
            } else if let found = members.first(where: { $0.name == member.wireName }) {
                parameters[member.name] = found.value.map(Self.bounded) ?? ""
            }
        }
        for conditional in operation.conditionalActions {
            for trigger in conditional.triggers where parameters[trigger] == nil {
                let last = trigger.lastIndex(of: ".").map { String(trigger[trigger.index(after: $0)...]) } ?? trigger
                let present: Bool
                switch pending.bodyFormat {
                case .xml:
                    present = BodyMembers.xmlElement(body, named: last) != nil
                case .form:
                    // EC2 sends list members singular: TagSpecifications as TagSpecification.1.*.
                    let wanted = trigger.lowercased()
                    let singular = wanted.hasSuffix("s") ? String(wanted.dropLast()) : wanted
                    present = members.contains { member in
                        let head = member.name.split(separator: ".").first.map { $0.lowercased() } ?? ""
                        return head == wanted || head == singular
                    }
                default:
                    if trigger.utf8.contains(UInt8(ascii: ".")) {
                        present = BodyMembers.firstIndex(of: Array("\"\(last)\"".utf8), in: body, from: 0) != nil
                    } else {
                        present = members.contains { $0.name.caseInsensitiveEquals(trigger) }
                    }
                }
                if present { parameters[trigger] = "" }
            }
        }
        pending.call.parameters = parameters
        return .success(pending.call)
    }

    // MARK: - Helpers

    /// The key id, region and service of a SigV4 (or SigV4a) `Authorization` header, or the key
    /// id of a SigV2 one. The signature is not read.
    static func credentialScope(authorization: UnsafeRawBufferPointer) -> (key: String, region: String?, service: String?)? {
        if HTTPBytes.hasPrefix(authorization, "AWS ") {
            let rest = authorization[4...]
            guard let colon = rest.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            return (String(decoding: authorization[4..<colon], as: UTF8.self), nil, nil)
        }
        let marker = Array("Credential=".utf8)
        guard let start = BodyMembers.firstIndex(of: marker, in: authorization, from: 0) else { return nil }
        var end = start + marker.count
        while end < authorization.count, authorization[end] != UInt8(ascii: ","), authorization[end] != 0x20 { end += 1 }
        return credentialScope(credential: String(decoding: authorization[(start + marker.count)..<end], as: UTF8.self))
    }

    /// Splits `KEY/DATE/REGION/SERVICE/aws4_request` (or SigV4a's `KEY/DATE/SERVICE/aws4_request`).
    static func credentialScope(credential: String) -> (key: String, region: String?, service: String?)? {
        let parts = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 5: return (parts[0], parts[2], parts[3])
        case 4: return (parts[0], nil, parts[2])
        default: return parts.first.flatMap { $0.isEmpty ? nil : ($0, nil, nil) }
        }
    }

    /// The operation of a Smithy RPC v2 path: `/service/S/operation/O`.
    private static func rpcV2Operation(_ segments: [UnsafeRawBufferPointer]) -> String? {
        guard segments.count >= 4, segments[segments.count - 4].elementsEqual("service".utf8),
              segments[segments.count - 2].elementsEqual("operation".utf8) else { return nil }
        return PercentDecoding.decode(segments[segments.count - 1])
    }

    /// A path's segments, without the empty ones at its ends.
    static func segments(of path: UnsafeRawBufferPointer) -> [UnsafeRawBufferPointer] {
        var segments: [UnsafeRawBufferPointer] = []
        var start = 0
        if path.first == UInt8(ascii: "/") { start = 1 }
        var index = start
        while index <= path.count {
            if index == path.count || path[index] == UInt8(ascii: "/") {
                segments.append(UnsafeRawBufferPointer(rebasing: path[start..<index]))
                start = index + 1
            }
            index += 1
        }
        while let last = segments.last, last.isEmpty { segments.removeLast() }
        return segments
    }

    private static func bounded(_ value: String) -> String {
        value.utf8.count <= BodyMembers.maximumValueBytes ? value : ""
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
