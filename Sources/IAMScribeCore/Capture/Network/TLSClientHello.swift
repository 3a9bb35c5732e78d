/// Reads the server name (SNI) from the first TLS record of a connection, a ClientHello.
enum TLSClientHello {
    /// What the bytes so far say.
    enum Result: Equatable {
        /// The record is not complete yet.
        case needMore
        /// The bytes are not a TLS ClientHello.
        case notClientHello
        /// A ClientHello, with its server name when it sends one.
        case serverName(String?)
    }

    /// Whether a stream's first bytes look like the start of a TLS handshake.
    static func looksLikeHandshake(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 3 && bytes[0] == 0x16 && bytes[1] == 0x03 && bytes[2] <= 0x04
    }

    /// Parses the ClientHello at the start of a stream.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Result {
        guard bytes.count >= 5 else { return looksLikeHandshake(bytes) || bytes.count < 3 ? .needMore : .notClientHello }
        guard looksLikeHandshake(bytes) else { return .notClientHello }
        let recordLength = Int(bytes.uint16(at: 3))
        guard recordLength >= 4 else { return .notClientHello }
        guard bytes.count >= 5 + recordLength else { return .needMore }
        let record = UnsafeRawBufferPointer(rebasing: bytes[5..<(5 + recordLength)])
        guard record[0] == 0x01 else { return .notClientHello }
        // A ClientHello larger than one record is read as far as this record goes.
        let length = Int(record[1]) << 16 | Int(record[2]) << 8 | Int(record[3])
        let body = UnsafeRawBufferPointer(rebasing: record[4..<min(record.count, 4 + length)])
        var index = 2 + 32  // version, random
        guard index < body.count else { return .notClientHello }
        index += 1 + Int(body[index])  // session id
        guard index + 2 <= body.count else { return .notClientHello }
        index += 2 + Int(body.uint16(at: index))  // cipher suites
        guard index < body.count else { return .notClientHello }
        index += 1 + Int(body[index])  // compression methods
        guard index + 2 <= body.count else { return .serverName(nil) }
        let extensionsEnd = min(body.count, index + 2 + Int(body.uint16(at: index)))
        index += 2
        while index + 4 <= extensionsEnd {
            let type = body.uint16(at: index)
            let size = Int(body.uint16(at: index + 2))
            index += 4
            guard index + size <= extensionsEnd else { return .serverName(nil) }
            if type == 0, size >= 5 {
                // server_name: list length, then entries of (type, length, name); type 0 is a host.
                var entry = index + 2
                while entry + 3 <= index + size {
                    let kind = body[entry]
                    let nameLength = Int(body.uint16(at: entry + 1))
                    entry += 3
                    guard entry + nameLength <= index + size else { break }
                    if kind == 0 {
                        let name = UnsafeRawBufferPointer(rebasing: body[entry..<(entry + nameLength)])
                        guard name.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return .serverName(nil) }
                        return .serverName(String(decoding: name, as: UTF8.self))
                    }
                    entry += nameLength
                }
            }
            index += size
        }
        return .serverName(nil)
    }
}
