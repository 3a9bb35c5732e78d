/// The error the core throws: a code to match on, a reason for people, and the cause.
public struct IAMScribeError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in a form code can match on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The action table is malformed.
        public static let invalidTable = Code("invalidTable")
        /// An input file could not be read.
        public static let unreadableInput = Code("unreadableInput")
        /// An input's content is not in a format iamscribe reads.
        public static let invalidInput = Code("invalidInput")
        /// An output file could not be written.
        public static let unwritableOutput = Code("unwritableOutput")
        /// A socket or other system call failed.
        public static let system = Code("system")
        /// A configuration file could not be used.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// A policy document is not valid IAM, or not a policy at all.
        public static let invalidPolicy = Code("invalidPolicy")
        /// Capturing packets needs a privilege the process lacks.
        public static let permissionDenied = Code("permissionDenied")
        /// No network interface goes by the given name.
        public static let unknownInterface = Code("unknownInterface")
        /// A packet filter expression does not compile.
        public static let invalidFilter = Code("invalidFilter")
        /// A packet capture could not start or stopped with an error.
        public static let captureFailed = Code("captureFailed")
        /// A command to run does not exist (a shell's exit status 127).
        public static let commandNotFound = Code("commandNotFound")
        /// A command to run exists but cannot be run (a shell's exit status 126).
        public static let commandNotExecutable = Code("commandNotExecutable")
    }

    /// What went wrong.
    public let code: Code
    /// A sentence a person can act on.
    public let reason: String
    /// The error that caused this one, if any.
    public let underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ reason: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.reason = reason
        self.underlying = underlying
    }

    public var description: String {
        underlying.map { "\(reason): \($0)" } ?? reason
    }
}
