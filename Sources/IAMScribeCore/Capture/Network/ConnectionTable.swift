/// The TCP connections a pipeline tracks, by key: an open-addressing table with linear probing.
///
/// A capture looks a connection up for nearly every packet. `Dictionary` hashes each key with
/// SipHash, which costs more than the rest of a packet's handling; this table mixes the key's
/// words with a few multiplications instead, seeded at random so that a crafted capture cannot
/// aim its keys at one run of slots.
struct ConnectionTable {
    private var keys: [ConnectionKey]
    private var connections: [TCPConnection?]
    private var mask: Int
    private let seed: UInt64
    /// The connections in the table.
    private(set) var count = 0

    init() {
        let capacity = 64
        keys = Array(repeating: ConnectionKey.unused, count: capacity)
        connections = Array(repeating: nil, count: capacity)
        mask = capacity - 1
        seed = UInt64.random(in: .min ... .max) | 1
    }

    /// The connection of a key.
    subscript(key: ConnectionKey) -> TCPConnection? {
        get {
            var slot = self.slot(of: key)
            while let connection = connections[slot] {
                if keys[slot] == key { return connection }
                slot = (slot + 1) & mask
            }
            return nil
        }
        set {
            if let newValue { insert(newValue, for: key) } else { remove(key) }
        }
    }

    /// Every key and connection, in no particular order.
    var all: [(key: ConnectionKey, connection: TCPConnection)] {
        var all: [(key: ConnectionKey, connection: TCPConnection)] = []
        all.reserveCapacity(count)
        for slot in connections.indices {
            if let connection = connections[slot] { all.append((keys[slot], connection)) }
        }
        return all
    }

    /// The keys of the connections `isPicked` is true of.
    func keys(where isPicked: (TCPConnection) -> Bool) -> [ConnectionKey] {
        var picked: [ConnectionKey] = []
        connections.withUnsafeBufferPointer { connections in
            for slot in connections.indices {
                if let connection = connections[slot], isPicked(connection) { picked.append(keys[slot]) }
            }
        }
        return picked
    }

    mutating func removeAll() {
        for slot in connections.indices {
            connections[slot] = nil
            keys[slot] = .unused
        }
        count = 0
    }

    private func slot(of key: ConnectionKey) -> Int {
        var word = (key.first.low ^ seed) &* 0x9E37_79B9_7F4A_7C15
        word = (word ^ key.second.low ^ (key.first.high &+ key.second.high &* 31)) &* 0xBF58_476D_1CE4_E5B9
        word = (word ^ UInt64(key.firstPort) << 16 ^ UInt64(key.secondPort)) &* 0x94D0_49BB_1331_11EB
        return Int(truncatingIfNeeded: word ^ word >> 29) & mask
    }

    private mutating func insert(_ connection: TCPConnection, for key: ConnectionKey) {
        var slot = self.slot(of: key)
        while connections[slot] != nil {
            if keys[slot] == key {
                connections[slot] = connection
                return
            }
            slot = (slot + 1) & mask
        }
        keys[slot] = key
        connections[slot] = connection
        count += 1
        // At most half full, so that runs of occupied slots stay short.
        if count * 2 > connections.count { grow() }
    }

    private mutating func remove(_ key: ConnectionKey) {
        var slot = self.slot(of: key)
        while connections[slot] != nil {
            if keys[slot] == key { break }
            slot = (slot + 1) & mask
        }
        guard connections[slot] != nil else { return }
        connections[slot] = nil
        keys[slot] = .unused
        count -= 1
        // Entries after the hole that probed past it move back into it, so that lookups, which
        // stop at the first empty slot, still find them.
        var hole = slot
        var next = (slot + 1) & mask
        while let connection = connections[next] {
            let home = self.slot(of: keys[next])
            // Whether `home` lies cyclically outside (hole, next]: the entry may move to the hole.
            let movable = hole <= next ? (home <= hole || home > next) : (home <= hole && home > next)
            if movable {
                keys[hole] = keys[next]
                connections[hole] = connection
                connections[next] = nil
                keys[next] = .unused
                hole = next
            }
            next = (next + 1) & mask
        }
    }

    private mutating func grow() {
        let entries = all
        let capacity = connections.count * 2
        keys = Array(repeating: ConnectionKey.unused, count: capacity)
        connections = Array(repeating: nil, count: capacity)
        mask = capacity - 1
        count = 0
        for (key, connection) in entries { insert(connection, for: key) }
    }
}

extension ConnectionKey {
    /// The key of an empty slot (never looked at: a slot is empty when it holds no connection).
    static let unused = ConnectionKey(first: IPAddress(high: 0, low: 0), second: IPAddress(high: 0, low: 0),
                                      firstPort: 0, secondPort: 0)
}
