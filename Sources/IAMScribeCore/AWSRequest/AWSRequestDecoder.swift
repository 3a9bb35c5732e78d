#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The AWS request stage: turns one HTTP request (and its response) into the AWS call it makes:
/// service, operation, region, access key id, the parameters the action table says locate
/// resources or roles, and how the call ended.
///
/// Every source of HTTP traffic feeds it: the packet capture through its fast borrowed entry
/// (``decodeHead(_:time:)`` as soon as a request's head is read, ``finish(_:body:)`` once its body
/// has come, both over the capture's own buffers), and any other source (a proxy, the tests)
/// through ``decode(_:)``, which takes an ``HTTPExchange`` of owned values and runs the same two
/// steps over it. It knows nothing of packets or connections.
///
/// The head names the service (SigV4 credential scope, presigned `X-Amz-Credential`,
/// `X-Amz-Target`, or the Host header; see `CredentialScope.swift` and
/// `AWSRequestDecoder+ServiceResolution.swift`) and, for most protocols, the operation (see
/// `AWSRequestDecoder+REST.swift`); the body gives its members, and the operation for the query
/// protocols (see `AWSRequestDecoder+Body.swift`). Authorization values, signatures, session
/// tokens and bodies are never kept: only the table's resource members and the presence of
/// trigger members.
///
/// Not thread-safe: it caches what it resolved, so each thread (or task) decodes with its own.
/// Its stored properties are `@exclusivity(unchecked)`, for the reason in `Capture/UNSAFE.md`.
public final class AWSRequestDecoder {
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
    public enum Failure: Error, Sendable, Hashable {
        /// Nothing names an AWS service.
        case notAWS
        /// The service is known; the operation could not be told.
        case unknownOperation
    }

    /// The body size above which ``decode(_:)`` reads no body, as the capture does by default.
    public static let defaultMaximumBodyBytes = 1 << 20

    let table: ActionTable
    /// Where the calls come from.
    let source: ObservedCall.Source
    /// The largest request body ``decode(_:)`` reads.
    let maximumBodyBytes: Int
    // The indexes and caches, in the extensions' files that use them.
    @exclusivity(unchecked) var bySigningName: [String: [ServiceInfo]] = [:]
    @exclusivity(unchecked) var byEndpointPrefix: [String: [ServiceInfo]] = [:]
    @exclusivity(unchecked) var byTargetPrefix: [String: [ServiceInfo]] = [:]
    @exclusivity(unchecked) var templates: [ObjectIdentifier: [String: [RESTTemplate]]] = [:]
    @exclusivity(unchecked) var strings: [String: String] = [:]
    @exclusivity(unchecked) var plans: [ObjectIdentifier: OperationPlan] = [:]
    @exclusivity(unchecked) var operationCache: [String: [String: OperationInfo]] = [:]
    @exclusivity(unchecked) var hostCache: [String: AWSHostName?] = [:]
    @exclusivity(unchecked) var factsCache = HeadFactsCache()
    /// A header name being normalized, reused from request to request.
    @exclusivity(unchecked) var normalizedName: [UInt8] = []

    /// Creates a decoder.
    ///
    /// - Parameters:
    ///   - table: The action table that names services, operations and their members.
    ///   - source: What the calls are marked as coming from.
    ///   - maximumBodyBytes: The largest request body ``decode(_:)`` reads; a larger one leaves the
    ///     call's parameters unknown when they travel in the body.
    public init(table: ActionTable = .bundled, source: ObservedCall.Source = .pcap,
                maximumBodyBytes: Int = AWSRequestDecoder.defaultMaximumBodyBytes) {
        self.table = table
        self.source = source
        self.maximumBodyBytes = maximumBodyBytes
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
        var scope: CredentialScope?
        if let authorization = head.value(of: .authorization) {
            credential = CredentialScope.credential(in: authorization)
            if credential == nil { scope = CredentialScope(authorization: authorization) }
        } else {
            scope = CredentialScope(presignedQuery: query)
        }
        let facts = headFacts(host: hostBytes, target: head.value(of: .amzTarget), credential: credential, scope: scope)
        let candidates = facts.candidates
        let awsHost = facts.awsHost
        guard let first = candidates.first else { return .failure(.notAWS) }

        let call = ObservedCall(
            source: source, time: time, service: first.module, operation: "",
            region: facts.region, accessKeyID: facts.accessKeyID, endpoint: facts.host)

        // The operation, by protocol; the first candidate service that knows it wins.
        let pathSegments = Self.segments(of: path)
        for (index, service) in candidates.enumerated() {
            let pending = Pending(call: call, candidates: candidates, service: service)
            pending.query = query
            var usedProtocol = service.wireProtocol
            if facts.targetName != nil {
                pending.operation = facts.targetOperations[index]
                pending.bodyFormat = .json
            } else if let name = Self.rpcV2Operation(pathSegments) {
                pending.operation = operation(name, of: service)
                pending.bodyFormat = .cbor
            } else {
                // The service's own protocol, then the others it accepts (older SDKs send SQS and
                // CloudWatch calls in the query protocol), until one tells the operation.
                var protocolIndex = -1
                repeat {
                    let wireProtocol = protocolIndex < 0 ? service.wireProtocol : service.otherProtocols[protocolIndex]
                    if decideOperation(wireProtocol, isPrimary: protocolIndex < 0, of: service, head: head,
                                       pathSegments: pathSegments, query: query, awsHost: awsHost, into: pending) {
                        usedProtocol = wireProtocol
                        break
                    }
                    protocolIndex += 1
                } while protocolIndex < service.otherProtocols.count
            }
            if let operation = pending.operation {
                pending.service = service
                // Changed only when it differs: the call still shares its fields with `call`.
                if service.module != first.module { pending.call.service = service.module }
                let plan = self.plan(of: operation, in: service)
                let unresolved = headParameters(head, query: query, plan: plan, into: pending) || plan.hasDottedTrigger
                pending.hasBodyMembers = plan.hasBodyMembers
                if pending.bodyFormat == .json && usedProtocol == .restJSON || pending.bodyFormat == .xml {
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

    /// Tells a request's operation as one protocol of a service sends it.
    ///
    /// The JSON protocol's `X-Amz-Target` and the CBOR protocol's path were looked at before, for
    /// every service. A query request (an `Action` in the query string or a form body) is taken as
    /// the service's own protocol always, and as another one it accepts only when the request
    /// looks like it: an `Action` parameter or a form content type.
    ///
    /// - Parameters:
    ///   - isPrimary: Whether `wireProtocol` is the service's own protocol rather than another it accepts.
    /// - Returns: Whether the request is in that protocol: the operation is told (`pending.operation`),
    ///   or it will be by the form body's `Action` (`pending.bodyFormat` is `.form`).
    private func decideOperation(_ wireProtocol: ServiceProtocol, isPrimary: Bool, of service: ServiceInfo,
                                 head: HTTPHead, pathSegments: [UnsafeRawBufferPointer],
                                 query: [(key: String, value: String)], awsHost: AWSHostName?,
                                 into pending: Pending) -> Bool {
        // Looked at only when needed: most requests are told before.
        func isForm() -> Bool {
            head.value(of: .contentType).map { HTTPBytes.contains($0, "x-www-form-urlencoded") } == true
        }
        switch wireProtocol {
        case .query, .ec2:
            let action = query.first(where: { $0.key == "Action" })?.value
            guard isPrimary || action != nil || isForm() else { return false }
            if let action { pending.operation = operation(action, of: service) }
            pending.bodyFormat = .form
            return true
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
            if pending.operation != nil {
                pending.bodyFormat = wireProtocol == .restJSON ? .json : .xml
                return true
            }
            guard isPrimary else { return false }
            // No template matched: a form body may still name the operation by its `Action`.
            let form = isForm()
            pending.bodyFormat = form ? .form : (wireProtocol == .restJSON ? .json : .xml)
            return form
        case .json:
            if isPrimary { pending.bodyFormat = .json }
            return false
        case .smithyRPCv2CBOR:
            return false
        }
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

    /// The plan of an operation, cached.
    func plan(of operation: OperationInfo, in service: ServiceInfo) -> OperationPlan {
        if let known = plans[operation.identity] { return known }
        let plan = OperationPlan(operation, watch: EncryptedResourceRules.watch(module: service.module, operation: operation.name))
        if plans.count < 65_536 { plans[operation.identity] = plan }
        return plan
    }

    /// A value, or "" when it is too long to keep.
    static func bounded(_ value: String) -> String {
        value.utf8.count <= BodyMembers.maximumValueBytes ? value : ""
    }
}
