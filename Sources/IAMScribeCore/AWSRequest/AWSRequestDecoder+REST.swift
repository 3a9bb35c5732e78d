#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Telling an operation from a request's method, path and query: the REST protocols' URI
/// templates (rest-json, rest-xml, S3 in both addressing styles) and Smithy RPC v2's
/// `/service/S/operation/O` path.
extension AWSRequestDecoder {
    /// Matches a REST request against the service's templates, most specific first.
    func matchREST(
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

    /// The operation of a Smithy RPC v2 path: `/service/S/operation/O`.
    static func rpcV2Operation(_ segments: [UnsafeRawBufferPointer]) -> String? {
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
}
