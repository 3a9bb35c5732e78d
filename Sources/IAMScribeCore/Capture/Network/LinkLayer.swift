/// The link-layer header types iamscribe decodes, and where the IP packet starts behind them.
package enum LinkLayer: Sendable, Hashable {
    /// Ethernet, with any number of 802.1Q / 802.1ad VLAN tags.
    case ethernet
    /// Linux cooked capture v1 (`any` interface, older libpcap).
    case linuxCooked
    /// Linux cooked capture v2.
    case linuxCookedV2
    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    case null
    /// OpenBSD loopback: the same family in network byte order.
    case loop
    /// Raw IP: the packet starts with the IP header.
    case raw

    /// The link layer of a libpcap `DLT_` value, or nil when iamscribe does not decode it.
    package init?(dlt: Int32) {
        switch dlt {
        case 1: self = .ethernet
        case 113: self = .linuxCooked
        case 276: self = .linuxCookedV2
        case 0: self = .null
        case 108: self = .loop
        // DLT_RAW is 12 on most systems and 14 on OpenBSD; LINKTYPE_RAW (101), DLT_IPV4 and
        // DLT_IPV6 carry the same.
        case 12, 14, 101, 228, 229: self = .raw
        default: return nil
        }
    }

    /// What a link-layer header said.
    package enum Network: Equatable {
        /// An IP packet starts at this offset.
        case ip(offset: Int)
        /// Some other protocol (ARP, for example).
        case other
        /// The header is cut short or inconsistent.
        case malformed
    }

    /// Finds the IP packet in a frame.
    @inline(__always)
    package func network(in frame: UnsafeRawBufferPointer) -> Network {
        switch self {
        case .ethernet:
            var offset = 12
            while true {
                guard frame.count >= offset + 2 else { return .malformed }
                let type = frame.uint16(at: offset)
                switch type {
                case 0x0800, 0x86DD: return .ip(offset: offset + 2)
                case 0x8100, 0x88A8, 0x9100: offset += 4
                default: return .other
                }
            }
        case .linuxCooked:
            guard frame.count >= 16 else { return .malformed }
            return Self.etherType(frame.uint16(at: 14), offset: 16)
        case .linuxCookedV2:
            guard frame.count >= 20 else { return .malformed }
            return Self.etherType(frame.uint16(at: 0), offset: 20)
        case .null, .loop:
            guard frame.count >= 4 else { return .malformed }
            let bigEndian = frame.uint32(at: 0)
            // The family is in the writer's byte order for .null: accept either reading.
            let family = self == .loop || bigEndian < 0x10000 ? bigEndian : bigEndian.byteSwapped
            switch family {
            case 2, 10, 24, 28, 30: return .ip(offset: 4)
            default: return .other
            }
        case .raw:
            return frame.isEmpty ? .malformed : .ip(offset: 0)
        }
    }

    private static func etherType(_ type: UInt16, offset: Int) -> Network {
        type == 0x0800 || type == 0x86DD ? .ip(offset: offset) : .other
    }
}

extension UnsafeRawBufferPointer {
    /// A big-endian 16-bit value; the caller checks the bounds.
    @inline(__always)
    func uint16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// A big-endian 32-bit value; the caller checks the bounds.
    @inline(__always)
    func uint32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A big-endian 64-bit value; the caller checks the bounds.
    @inline(__always)
    func uint64(at offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
