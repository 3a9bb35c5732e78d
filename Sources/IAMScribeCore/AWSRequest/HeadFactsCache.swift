/// What a head's service-naming headers resolve to: the same for every request with the same
/// Host, `X-Amz-Target` and credential, so resolved once for them (see ``HeadFactsCache``).
final class HeadFacts {
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

/// Head facts resolved lately, by the bytes of the head parts that decide them, in a two-way
/// cache: a hash of the key's bytes picks a pair of slots, and a new key takes an empty one or
/// replaces an old one. Dictionary's SipHash over a head's host, target and credential cost more
/// than the rest of resolving its service, and a key made a `String` would cost a copy a request.
struct HeadFactsCache {
    /// A key: the Host, `X-Amz-Target` and SigV4 credential bytes, and any other credential scope
    /// (``CredentialScope/cacheKey``), each absent or present.
    typealias Parts = (UnsafeRawBufferPointer?, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?)

    private struct Entry {
        let hash: UInt64
        /// The key's parts, each as a presence byte, a length and the bytes.
        let key: [UInt8]
        let facts: HeadFacts
    }

    private var slots = [Entry?](repeating: nil, count: 4096)

    /// The hash of a key's parts, their presence and lengths included.
    static func hash(_ parts: Parts) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15
        fold(parts.0, into: &hash)
        fold(parts.1, into: &hash)
        fold(parts.2, into: &hash)
        fold(parts.3, into: &hash)
        return hash
    }

    /// The first of the two slots a hash may be in: two keys that share one do not push each
    /// other out.
    private func firstSlot(_ hash: UInt64) -> Int {
        Int(truncatingIfNeeded: hash ^ hash >> 32) & (slots.count - 1)
    }

    /// The facts cached for a key, of hash ``hash(_:)``.
    ///
    /// Mutating only so that a decoder looks in its cache in place: a read of the cache stored
    /// in a class would retain and release its slots for every request.
    mutating func facts(for parts: Parts, hash: UInt64) -> HeadFacts? {
        let first = firstSlot(hash)
        for slot in [first, first ^ 1] {
            if let entry = slots[slot], entry.hash == hash, Self.key(entry.key, matches: parts) { return entry.facts }
        }
        return nil
    }

    /// Caches the facts of a key, of hash ``hash(_:)``, in an empty slot of its two or over an
    /// old entry.
    mutating func insert(_ facts: HeadFacts, for parts: Parts, hash: UInt64) {
        let first = firstSlot(hash)
        let slot = slots[first] == nil ? first : slots[first ^ 1] == nil ? first ^ 1 : first ^ Int(hash >> 63)
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
        slots[slot] = Entry(hash: hash, key: key, facts: facts)
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
    private static func key(_ key: [UInt8], matches parts: Parts) -> Bool {
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
}
