import CPcap
import Glibc

/// libpcap's functions, loaded with `dlopen` the first time a capture needs them.
///
/// The binary does not link libpcap, so that it starts where libpcap is not installed: only
/// `--mode pcap` and pcapng files need it (classic pcap files are read by ``PcapFileReader``);
/// they fail with ``loadError`` there, and every other command works.
struct PcapLibrary: @unchecked Sendable {
    // `@unchecked`: C function pointers, set once when the library is loaded and only read after.
    let datalink: @convention(c) (OpaquePointer?) -> Int32
    let close: @convention(c) (OpaquePointer?) -> Void
    let fopenOffline: @convention(c) (UnsafeMutablePointer<FILE>?, UInt32, UnsafeMutablePointer<CChar>?) -> OpaquePointer?
    let create: @convention(c) (UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?) -> OpaquePointer?
    let setSnapshotLength: @convention(c) (OpaquePointer?, Int32) -> Int32
    let setTimeout: @convention(c) (OpaquePointer?, Int32) -> Int32
    let setImmediateMode: @convention(c) (OpaquePointer?, Int32) -> Int32
    let setBufferSize: @convention(c) (OpaquePointer?, Int32) -> Int32
    let activate: @convention(c) (OpaquePointer?) -> Int32
    let geterr: @convention(c) (OpaquePointer?) -> UnsafeMutablePointer<CChar>?
    let statusText: @convention(c) (Int32) -> UnsafePointer<CChar>?
    let findAllDevices: @convention(c) (UnsafeMutablePointer<UnsafeMutablePointer<pcap_if_t>?>?,
                                        UnsafeMutablePointer<CChar>?) -> Int32
    let freeAllDevices: @convention(c) (UnsafeMutablePointer<pcap_if_t>?) -> Void
    let compile: @convention(c) (OpaquePointer?, UnsafeMutablePointer<bpf_program>?, UnsafePointer<CChar>?, Int32, UInt32) -> Int32
    let freeCode: @convention(c) (UnsafeMutablePointer<bpf_program>?) -> Void
    let setFilter: @convention(c) (OpaquePointer?, UnsafeMutablePointer<bpf_program>?) -> Int32
    let nextPacket: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<pcap_pkthdr>?>?,
                                    UnsafeMutablePointer<UnsafePointer<UInt8>?>?) -> Int32
    let breakLoop: @convention(c) (OpaquePointer?) -> Void
    let stats: @convention(c) (OpaquePointer?, UnsafeMutablePointer<pcap_stat>?) -> Int32

    /// The library's file names, most specific first: Debian and Ubuntu ship `libpcap.so.0.8`,
    /// Fedora, Arch and Alpine `libpcap.so.1`; `libpcap.so` comes with the development package.
    static let fileNames = ["libpcap.so.0.8", "libpcap.so.1", "libpcap.so"]

    /// The loaded library, or why it could not be loaded; loaded once, on first use.
    private static let loaded: Result<PcapLibrary, IAMScribeError> = Result { () throws(IAMScribeError) -> PcapLibrary in try load() }

    /// The library, loading it on the first call.
    ///
    /// - Throws: ``IAMScribeError`` with code `.captureFailed`, naming the package to install,
    ///   when libpcap is missing or lacks a function iamscribe calls.
    static func shared() throws -> PcapLibrary {
        try loaded.get()
    }

    private static func load() throws(IAMScribeError) -> PcapLibrary {
        var reasons: [String] = []
        for name in fileNames {
            // RTLD_LOCAL: libpcap's symbols stay out of the global namespace; nothing else needs them.
            if let library = dlopen(name, RTLD_NOW | RTLD_LOCAL) {
                return try PcapLibrary(library: library, name: name)
            }
            if let error = dlerror() { reasons.append(String(cString: error)) }
        }
        throw IAMScribeError(.captureFailed, """
            cannot load libpcap (\(reasons.first ?? "not found")): --mode pcap and pcapng files need it. \
            Install it (Debian, Ubuntu: apt-get install libpcap0.8; Fedora: dnf install libpcap; \
            Alpine: apk add libpcap); every other mode, and classic pcap files, work without it
            """)
    }

    private init(library: UnsafeMutableRawPointer, name: String) throws(IAMScribeError) {
        func symbol<T>(_ symbol: String) throws(IAMScribeError) -> T {
            guard let address = dlsym(library, symbol) else {
                throw IAMScribeError(.captureFailed, "\(name) has no \(symbol): libpcap 1.5 or later is needed for --mode pcap and pcapng files")
            }
            return unsafeBitCast(address, to: T.self)
        }
        datalink = try symbol("pcap_datalink")
        close = try symbol("pcap_close")
        fopenOffline = try symbol("pcap_fopen_offline_with_tstamp_precision")
        create = try symbol("pcap_create")
        setSnapshotLength = try symbol("pcap_set_snaplen")
        setTimeout = try symbol("pcap_set_timeout")
        setImmediateMode = try symbol("pcap_set_immediate_mode")
        setBufferSize = try symbol("pcap_set_buffer_size")
        activate = try symbol("pcap_activate")
        geterr = try symbol("pcap_geterr")
        statusText = try symbol("pcap_statustostr")
        findAllDevices = try symbol("pcap_findalldevs")
        freeAllDevices = try symbol("pcap_freealldevs")
        compile = try symbol("pcap_compile")
        freeCode = try symbol("pcap_freecode")
        setFilter = try symbol("pcap_setfilter")
        nextPacket = try symbol("pcap_next_ex")
        breakLoop = try symbol("pcap_breakloop")
        stats = try symbol("pcap_stats")
    }
}
