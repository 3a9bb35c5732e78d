#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Where packets come from, one at a time: libpcap (``PcapHandle``) or the classic pcap reader
/// (``PcapFileReader``).
protocol PacketSource: AnyObject {
    /// The link-layer header type of the packets (a `DLT_` or `LINKTYPE_` value that
    /// ``LinkLayer`` knows).
    var linkType: Int32 { get }

    /// Reads the next packet and hands it to `body` without copying it.
    ///
    /// - Parameter body: Called with the captured bytes, the packet's length on the wire, and its
    ///   time (seconds and microseconds since 1970). The bytes are valid only during the call.
    func next(_ body: (UnsafeRawBufferPointer, Int, Int, Int) -> Void) -> PcapHandle.NextResult
}

extension PcapHandle: PacketSource {}

/// Reads libpcap's classic file format without libpcap: large `read(2)`s into one buffer, and
/// records walked in place.
///
/// libpcap reads a file through stdio, one `fread` for each record header and one for each
/// packet, and copies every packet into its own buffer; on a large capture that costs more than
/// all the decoding after it. This reader takes only what it reads exactly like libpcap 1.10
/// does, with the same packets, times and lengths and the same error texts for a damaged file:
/// format 2.4, either byte order, micro- or nanosecond timestamps (given in microseconds, as
/// libpcap gives them when asked for microsecond precision), and the link types ``LinkLayer``
/// decodes. ``header(_:)`` answers nil for anything else (pcapng, older versions, FCS bits in the
/// link type), and the caller opens the file with libpcap instead.
final class PcapFileReader: PacketSource {
    /// What a file header says, for a file this reader takes.
    struct Header: Equatable {
        /// Whether the file was written in the other byte order.
        var swapped: Bool
        /// Whether the timestamps' fractions are nanoseconds.
        var nanoseconds: Bool
        /// The largest captured length kept of a record (libpcap's snapshot length).
        var snapshotLength: Int
        /// The link type.
        var linkType: Int32
    }

    /// The length of the file header.
    static let headerLength = 24
    /// The length of a record header.
    private static let recordHeaderLength = 16
    /// The largest captured length libpcap accepts for the link types read here
    /// (`MAXIMUM_SNAPLEN`); a larger one means the file is damaged.
    private static let maximumCapturedLength = 262_144
    /// The link types taken: Ethernet, BSD and OpenBSD loopback, raw IP (`LINKTYPE_RAW`,
    /// `LINKTYPE_IPV4`, `LINKTYPE_IPV6`), Linux cooked v1 and v2. libpcap maps each to the
    /// `DLT_` value ``LinkLayer`` reads the same way.
    private static let linkTypes: Set<UInt32> = [0, 1, 101, 108, 113, 228, 229, 276]
    /// How much is read at a time: large enough for few system calls, small enough to stay in
    /// the processor's cache until the records in it are decoded.
    private static let chunkLength = 1 << 20

    let linkType: Int32
    /// The size of the file (or memory) read, when known; 0 else.
    let fileSize: Int
    /// Whether the records come from a regular file (which other readers can open again), not
    /// from memory, a pipe or a device.
    let isRegularFile: Bool
    /// How many more bytes may be read from the file, when limited.
    private var remaining: Int?
    private let header: Header
    /// The file, or -1 when the whole capture is in ``buffer`` already.
    private let descriptor: Int32
    /// The bytes read and not yet consumed lie in `buffer[start..<end]`.
    private let buffer: UnsafeMutableRawPointer
    private let capacity: Int
    private let ownsBuffer: Bool
    private var start: Int
    private var end: Int

    /// The header of a classic pcap file this reader takes, or nil when libpcap must read it.
    static func header(_ bytes: UnsafeRawBufferPointer) -> Header? {
        guard bytes.count >= headerLength else { return nil }
        let magic = bytes.loadUnaligned(as: UInt32.self).littleEndian
        let swapped: Bool, nanoseconds: Bool
        switch magic {
        case 0xA1B2_C3D4: (swapped, nanoseconds) = (false, false)
        case 0xD4C3_B2A1: (swapped, nanoseconds) = (true, false)
        case 0xA1B2_3C4D: (swapped, nanoseconds) = (false, true)
        case 0x4D3C_B2A1: (swapped, nanoseconds) = (true, true)
        default: return nil
        }
        func field32(_ offset: Int) -> UInt32 {
            let value = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
            return swapped ? value.byteSwapped : value
        }
        func field16(_ offset: Int) -> UInt16 {
            let value = bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian
            return swapped ? value.byteSwapped : value
        }
        // Versions before 2.4 may have the two lengths swapped; libpcap sorts that out.
        guard field16(4) == 2, field16(6) == 4 else { return nil }
        let linkType = field32(20)
        guard linkTypes.contains(linkType) else { return nil }
        let snapshot = Int(field32(16))
        return Header(swapped: swapped, nanoseconds: nanoseconds,
                      snapshotLength: snapshot == 0 || snapshot > maximumCapturedLength ? maximumCapturedLength : snapshot,
                      linkType: Int32(linkType))
    }

    /// Opens a file for reading, or answers nil when its header is not one this reader takes
    /// (too short, another format, another version or link type).
    ///
    /// - Throws: ``IAMScribeError`` with code `.unreadableInput` when the file cannot be read.
    convenience init?(path: String) throws {
        try self.init(path: path, chunkLength: Self.chunkLength)
    }

    /// Opens a file, reading `chunkLength` bytes at a time (at least a whole record of the
    /// largest length); tests read in small chunks to cross many chunk boundaries.
    ///
    /// - Throws: ``IAMScribeError`` with code `.unreadableInput` when the file cannot be read.
    convenience init?(path: String, chunkLength: Int) throws {
        try self.init(path: path, chunkLength: chunkLength, limit: nil)
    }

    /// Opens a file and reads no further than `limit` bytes of it (from its start), so that
    /// several readers of a file that is still being written see the same records.
    ///
    /// - Throws: ``IAMScribeError`` with code `.unreadableInput` when the file cannot be read.
    init?(path: String, chunkLength: Int = chunkLength, limit: Int?) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw IAMScribeError(.unreadableInput, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        var first = [UInt8](repeating: 0, count: Self.headerLength)
        let got = first.withUnsafeMutableBytes { bytes in
            var got = 0
            while got < bytes.count {
                let count = read(descriptor, bytes.baseAddress.map { $0 + got }, bytes.count - got)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                got += count
            }
            return got
        }
        guard got == Self.headerLength, let header = first.withUnsafeBytes({ Self.header($0) }) else {
            close(descriptor)
            return nil
        }
        var status = stat()
        let known = fstat(descriptor, &status) == 0
        fileSize = known ? Int(status.st_size) : 0
        isRegularFile = known && status.st_mode & S_IFMT == S_IFREG
        remaining = limit.map { max(0, $0 - Self.headerLength) }
        #if os(Linux)
        _ = posix_fadvise(descriptor, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
        self.header = header
        linkType = header.linkType
        self.descriptor = descriptor
        // A record longer than the snapshot length is read whole before it is cut.
        capacity = max(chunkLength, Self.recordHeaderLength + Self.maximumCapturedLength)
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        ownsBuffer = true
        start = 0
        end = 0
    }

    /// Reads a capture held in memory, which must stay valid and unchanged while the reader is
    /// used; nil when its header is not one this reader takes.
    init?(memory: UnsafeRawBufferPointer) {
        guard let base = memory.baseAddress, let header = Self.header(memory) else { return nil }
        self.header = header
        linkType = header.linkType
        descriptor = -1
        fileSize = memory.count
        isRegularFile = false
        buffer = UnsafeMutableRawPointer(mutating: base)
        capacity = memory.count
        ownsBuffer = false
        start = Self.headerLength
        end = memory.count
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if ownsBuffer { buffer.deallocate() }
    }

    /// Reads the next record and hands its packet to `body` without copying it.
    @inline(__always)
    func next(_ body: (UnsafeRawBufferPointer, Int, Int, Int) -> Void) -> PcapHandle.NextResult {
        let recordHeader = Self.recordHeaderLength
        if end - start < recordHeader {
            switch fill(recordHeader) {
            case .ready: break
            case .failed(let reason): return .failed(reason)
            case .ended:
                guard end > start else { return .end }
                return .failed("truncated dump file; tried to read \(recordHeader) header bytes, only got \(end - start)")
            }
        }
        let record = buffer + start
        let seconds = Int(Int32(bitPattern: field(record, 0)))
        let fraction = field(record, 4)
        let captured = field(record, 8)
        let wireLength = Int(field(record, 12))
        let microseconds = header.nanoseconds ? Int(fraction / 1000) : Int(Int32(bitPattern: fraction))
        guard captured <= Self.maximumCapturedLength else {
            if captured > header.snapshotLength {
                return .failed("invalid packet capture length \(captured), bigger than snaplen of \(header.snapshotLength)")
            }
            return .failed("invalid packet capture length \(captured), bigger than maximum of \(Self.maximumCapturedLength)")
        }
        let length = Int(captured)
        if end - start < recordHeader + length {
            switch fill(recordHeader + length) {
            case .ready: break
            case .failed(let reason): return .failed(reason)
            case .ended:
                let got = end - start - recordHeader
                // libpcap reads the snapshot length first, then the rest it discards.
                let tried = length > header.snapshotLength && got < header.snapshotLength ? header.snapshotLength : length
                return .failed("truncated dump file; tried to read \(tried) captured bytes, only got \(got)")
            }
        }
        // A record longer than the snapshot length is cut to it, as libpcap does.
        let kept = min(length, header.snapshotLength)
        let packet = UnsafeRawBufferPointer(start: buffer + start + recordHeader, count: kept)
        start += recordHeader + length
        body(packet, wireLength, seconds, microseconds)
        return .packet
    }

    /// A 32-bit field of a record header, in the file's byte order.
    @inline(__always)
    private func field(_ record: UnsafeMutableRawPointer, _ offset: Int) -> UInt32 {
        let value = UInt32(littleEndian: record.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        return header.swapped ? value.byteSwapped : value
    }

    /// What reading ahead found.
    private enum Fill {
        /// The bytes asked for are in the buffer.
        case ready
        /// The file ended first.
        case ended
        /// Reading failed, for this reason.
        case failed(String)
    }

    /// Reads until `count` bytes are available from `start`, or the file ends.
    private func fill(_ count: Int) -> Fill {
        if end - start >= count { return .ready }
        guard descriptor >= 0, count <= capacity else { return .ended }
        if start > 0 {
            // The start of a record goes to the front of the buffer, and the rest is read behind it.
            if end > start { memmove(buffer, buffer + start, end - start) }
            end -= start
            start = 0
        }
        while end < count {
            let wanted = min(capacity - end, remaining ?? .max)
            let got = wanted > 0 ? read(descriptor, buffer + end, wanted) : 0
            if got < 0 {
                if errno == EINTR { continue }
                return .failed("error reading dump file: \(String(cString: strerror(errno)))")
            }
            if got == 0 { return .ended }
            end += got
            if let left = remaining { remaining = left - got }
        }
        return .ready
    }
}
