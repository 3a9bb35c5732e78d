#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The head of one HTTP/1.x message, as a view over borrowed bytes: the AWS request stage's fast
/// input.
///
/// Valid only while the bytes it points into are: the capture's HTTP parser makes one over its
/// buffer (or the packet) for the length of a callback; ``HTTPExchange`` makes one over its own
/// copy of a request's head for the length of a decoding (see `HTTPExchange+Head.swift`).
struct HTTPHead {
    /// Where one header field's name and value lie in ``bytes``.
    struct Field {
        let name: Range<Int>
        let value: Range<Int>
    }

    /// The fields the decoders ask every message for, found while the head is parsed.
    enum CommonField: Int, CaseIterable {
        case host, authorization, amzTarget, contentType, expect, errorType

        /// The field a header name is, compared case-insensitively.
        static func named(_ name: UnsafeRawBufferPointer) -> CommonField? {
            // Most names are none of these: the length and first letter rule them out.
            guard name.count >= 4 else { return nil }
            switch (name.count, HTTPBytes.lower(name[0])) {
            case (4, UInt8(ascii: "h")): return HTTPBytes.hasPrefix(name, "host", ignoringCase: true) ? .host : nil
            case (6, UInt8(ascii: "e")): return HTTPBytes.hasPrefix(name, "expect", ignoringCase: true) ? .expect : nil
            case (12, UInt8(ascii: "x")): return HTTPBytes.hasPrefix(name, "x-amz-target", ignoringCase: true) ? .amzTarget : nil
            case (12, UInt8(ascii: "c")): return HTTPBytes.hasPrefix(name, "content-type", ignoringCase: true) ? .contentType : nil
            case (13, UInt8(ascii: "a")): return HTTPBytes.hasPrefix(name, "authorization", ignoringCase: true) ? .authorization : nil
            case (16, UInt8(ascii: "x")): return HTTPBytes.hasPrefix(name, "x-amzn-errortype", ignoringCase: true) ? .errorType : nil
            default: return nil
            }
        }
    }

    /// Where the first of each common field lies in ``fields``, -1 when absent.
    struct CommonFields {
        /// Each field's index plus one, in the 10 bits at 10 times its raw value; 0 when absent.
        /// (Indexes are below ``HTTPHead/maximumFields``.)
        private var packed: UInt64 = 0

        /// Notes the field at `index` when it is the first of its name.
        @inline(__always)
        mutating func note(_ field: CommonField, at index: Int) {
            let shift = UInt64(field.rawValue * 10)
            if (packed >> shift) & 0x3FF == 0 { packed |= UInt64(index + 1) << shift }
        }

        @inline(__always)
        func index(of field: CommonField) -> Int? {
            let stored = Int(truncatingIfNeeded: (packed >> UInt64(field.rawValue * 10)) & 0x3FF)
            return stored == 0 ? nil : stored - 1
        }
    }

    let bytes: UnsafeRawBufferPointer
    /// The request method, empty for a response.
    let method: Range<Int>
    /// The request target (origin or absolute form), empty for a response.
    let target: Range<Int>
    /// The response status, 0 for a request.
    let status: Int
    let fields: UnsafeBufferPointer<Field>
    let common: CommonFields

    /// The most fields of one head that are kept; the rest are not looked at.
    static let maximumFields = 256

    /// The value of the first field of a common name.
    @inline(__always)
    func value(of field: CommonField) -> UnsafeRawBufferPointer? {
        common.index(of: field).map { slice(fields[$0].value) }
    }

    /// The bytes of a range.
    @inline(__always)
    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[range])
    }

    /// The value of the first field whose name, lowercased, is `name` (lowercase ASCII).
    func value(ofLowercased name: [UInt8]) -> UnsafeRawBufferPointer? {
        for field in fields where field.name.count == name.count {
            var same = true
            for index in 0..<name.count where HTTPBytes.lower(bytes[field.name.lowerBound + index]) != name[index] {
                same = false
                break
            }
            if same { return slice(field.value) }
        }
        return nil
    }

    /// The method as text.
    var methodString: String { String(decoding: slice(method), as: UTF8.self) }
}
