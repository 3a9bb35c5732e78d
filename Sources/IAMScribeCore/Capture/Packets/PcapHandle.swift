import CPcap
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// One libpcap handle, offline (a capture file) or live (an interface): the only place that
/// touches libpcap's C API. The handle is closed when the object goes away.
///
/// Not thread-safe: one thread reads packets; ``breakLoop()`` is the one call another thread
/// may make.
final class PcapHandle {
    /// What one call to ``next(_:)`` found.
    enum NextResult {
        /// A packet was handed to the body.
        case packet
        /// A live capture's read timeout expired with no packet.
        case timeout
        /// The end of a capture file.
        case end
        /// The file is damaged or the interface failed; the reason comes from libpcap.
        case failed(String)
    }

    private let handle: OpaquePointer
    private let pcap: PcapLibrary
    /// A `FILE` opened over memory for ``init(bytes:)``, closed with the handle by libpcap.
    private let memory: UnsafeMutableRawPointer?

    /// The link-layer header type (a `DLT_` value).
    let linkType: Int32

    private init(handle: OpaquePointer, library: PcapLibrary, memory: UnsafeMutableRawPointer? = nil) {
        self.handle = handle
        self.memory = memory
        pcap = library
        linkType = library.datalink(handle)
    }

    deinit {
        pcap.close(handle)
        memory?.deallocate()
    }

    /// Opens a pcap or pcapng file.
    ///
    /// - Throws: ``IAMScribeError`` with code `.unreadableInput` or `.invalidInput`.
    convenience init(file path: String) throws {
        let pcap = try PcapLibrary.shared()
        guard let file = fopen(path, "rb") else {
            throw IAMScribeError(.unreadableInput, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        // libpcap reads a file record by record through stdio; a large buffer makes that a few
        // large reads instead of one small read every few packets.
        setvbuf(file, nil, _IOFBF, 1 << 20)
        var errors = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap.fopenOffline(file, UInt32(PCAP_TSTAMP_PRECISION_MICRO), &errors) else {
            fclose(file)
            throw IAMScribeError(.invalidInput, "cannot read \(path) as a capture file: \(Self.text(errors))")
        }
        self.init(handle: handle, library: pcap)
    }

    /// Opens a capture file held in memory (standard input, already read).
    ///
    /// - Throws: ``IAMScribeError`` with code `.invalidInput`.
    convenience init(bytes: [UInt8], name: String) throws {
        let pcap = try PcapLibrary.shared()
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { if let base = $0.baseAddress { memory.copyMemory(from: base, byteCount: bytes.count) } }
        guard let file = fmemopen(memory, bytes.count, "rb") else {
            memory.deallocate()
            throw IAMScribeError(.invalidInput, "cannot read \(name) as a capture file: \(String(cString: strerror(errno)))")
        }
        var errors = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        // pcap_close closes the FILE; the memory under it is ours to free afterwards.
        guard let handle = pcap.fopenOffline(file, UInt32(PCAP_TSTAMP_PRECISION_MICRO), &errors) else {
            fclose(file)
            memory.deallocate()
            throw IAMScribeError(.invalidInput, "cannot read \(name) as a capture file: \(Self.text(errors))")
        }
        self.init(handle: handle, library: pcap, memory: memory)
    }

    /// Opens a live capture on an interface.
    ///
    /// - Parameters:
    ///   - interface: The interface name, for example `eth0` or `lo` (`any` for all).
    ///   - filter: A BPF filter expression, or nil for every packet.
    ///   - snapshotLength: The most bytes kept of a packet.
    ///   - timeoutMilliseconds: How long a read waits before it returns with no packet.
    /// - Throws: ``IAMScribeError``: `.permissionDenied` (with what to do), `.unknownInterface`
    ///   (with the interfaces there are), `.invalidFilter`, or `.captureFailed`.
    convenience init(interface: String, filter: String?, snapshotLength: Int32 = 262_144, timeoutMilliseconds: Int32 = 100) throws {
        let pcap = try PcapLibrary.shared()
        var errors = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap.create(interface, &errors) else {
            throw IAMScribeError(.captureFailed, "cannot capture on \(interface): \(Self.text(errors))")
        }
        _ = pcap.setSnapshotLength(handle, snapshotLength)
        _ = pcap.setTimeout(handle, timeoutMilliseconds)
        // Immediate mode hands each packet over at once, so a recording sees calls as they happen.
        _ = pcap.setImmediateMode(handle, 1)
        _ = pcap.setBufferSize(handle, 16 << 20)
        let status = pcap.activate(handle)
        if status < 0 {
            let detail = pcap.geterr(handle).map { String(cString: $0) } ?? ""
            pcap.close(handle)
            throw Self.activationError(status, interface: interface, detail: detail)
        }
        self.init(handle: handle, library: pcap)
        if let filter, !filter.isEmpty { try setFilter(filter) }
    }

    static func activationError(_ status: Int32, interface: String, detail: String) -> IAMScribeError {
        switch status {
        case PCAP_ERROR_PERM_DENIED:
            return IAMScribeError(.permissionDenied, """
                no permission to capture on \(interface) (\(detail)); run iamscribe as root, or give \
                the binary the capability once: sudo setcap cap_net_raw,cap_net_admin=eip $(command -v iamscribe)
                """)
        case PCAP_ERROR_NO_SUCH_DEVICE:
            let known = (try? interfaces()) ?? []
            let list = known.isEmpty ? "none found" : known.joined(separator: ", ")
            return IAMScribeError(.unknownInterface, "no interface named '\(interface)'; interfaces: \(list)")
        case PCAP_ERROR_IFACE_NOT_UP:
            return IAMScribeError(.captureFailed, "interface \(interface) is down; bring it up first (ip link set \(interface) up)")
        default:
            let reason = detail.isEmpty ? Self.statusText(status) : detail
            return IAMScribeError(.captureFailed, "cannot capture on \(interface): \(reason)")
        }
    }

    /// The names of the interfaces libpcap can capture on.
    ///
    /// - Throws: ``IAMScribeError`` with code `.captureFailed` when libpcap cannot list them.
    static func interfaces() throws -> [String] {
        let pcap = try PcapLibrary.shared()
        var errors = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        var list: UnsafeMutablePointer<pcap_if_t>?
        guard pcap.findAllDevices(&list, &errors) == 0 else {
            throw IAMScribeError(.captureFailed, "cannot list interfaces: \(Self.text(errors))")
        }
        defer { pcap.freeAllDevices(list) }
        var names: [String] = []
        var current = list
        while let device = current {
            names.append(String(cString: device.pointee.name))
            current = device.pointee.next
        }
        return names
    }

    /// Installs a BPF filter.
    ///
    /// - Throws: ``IAMScribeError`` with code `.invalidFilter` and libpcap's reason.
    func setFilter(_ expression: String) throws {
        var program = bpf_program()
        guard pcap.compile(handle, &program, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw IAMScribeError(.invalidFilter, "invalid capture filter '\(expression)': \(lastError)")
        }
        defer { pcap.freeCode(&program) }
        guard pcap.setFilter(handle, &program) == 0 else {
            throw IAMScribeError(.invalidFilter, "cannot install capture filter '\(expression)': \(lastError)")
        }
    }

    /// Reads the next packet and hands it to `body` without copying it.
    ///
    /// - Parameter body: Called with the captured bytes, the packet's length on the wire, and its
    ///   time (seconds and microseconds since 1970). The bytes are valid only during the call.
    @inline(__always)
    func next(_ body: (UnsafeRawBufferPointer, Int, Int, Int) -> Void) -> NextResult {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap.nextPacket(handle, &header, &data)
        switch status {
        case 1:
            guard let header, let data else { return .timeout }
            let captured = Int(header.pointee.caplen)
            body(UnsafeRawBufferPointer(start: data, count: captured), Int(header.pointee.len),
                 Int(header.pointee.ts.tv_sec), Int(header.pointee.ts.tv_usec))
            return .packet
        case 0:
            return .timeout
        case PCAP_ERROR_BREAK:
            // The end of a file, or breakLoop() on a live capture.
            return .end
        default:
            return .failed(lastError)
        }
    }

    /// libpcap's message for the handle's last error.
    private var lastError: String {
        pcap.geterr(handle).map { String(cString: $0) } ?? "unknown error"
    }

    /// libpcap's words for a status code (`PCAP_ERROR_...`), or the code when libpcap is missing.
    private static func statusText(_ status: Int32) -> String {
        (try? PcapLibrary.shared()).flatMap { $0.statusText(status) }.map { String(cString: $0) } ?? "libpcap status \(status)"
    }

    /// The text in a libpcap error buffer.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Makes a blocked or looping read return; safe to call from another thread.
    func breakLoop() {
        pcap.breakLoop(handle)
    }

    /// Packets the kernel dropped for want of buffer space, for a live capture.
    var droppedByKernel: Int {
        var statistics = pcap_stat()
        guard pcap.stats(handle, &statistics) == 0 else { return 0 }
        return Int(statistics.ps_drop)
    }
}
