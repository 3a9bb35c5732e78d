import CSocketShims
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// A command started by iamscribe (`run`'s workload, or a detached recorder): spawning with a
/// clean signal state, waiting, passing signals on, and its exit status.
///
/// The command runs in a process group of its own and signals go to the whole group, so the
/// processes it starts (a shell's children) end with it. When iamscribe's standard input is the
/// terminal it controls, the group gets the terminal while it runs, so the command can read it
/// and Ctrl-C and Ctrl-Z reach it as they would from a shell.
public final class ChildProcess {
    /// How a command ended.
    public enum Termination: Sendable, Equatable {
        /// It exited with this status.
        case exited(Int32)
        /// A signal ended it.
        case signaled(Int32)

        /// The status a shell reports: the exit status, or 128 + N for signal N.
        public var shellStatus: Int32 {
            switch self {
            case .exited(let status): status
            case .signaled(let signal): 128 + signal
            }
        }
    }

    /// The process id (also the id of its process group).
    public let pid: pid_t
    private var termination: Termination?
    /// Whether the command's group holds the terminal iamscribe was given.
    private var ownsTerminal = false

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `command`, looked up on `PATH`, in a process group of its own.
    ///
    /// - Parameters:
    ///   - command: The program and its arguments.
    ///   - environment: Its whole environment.
    /// - Returns: The running command.
    /// - Throws: ``IAMScribeError`` with code `.commandNotFound` (no such program: a shell's 127)
    ///   or `.commandNotExecutable` (found, but it cannot be run: 126).
    public static func spawn(_ command: [String], environment: [String: String]) throws -> ChildProcess {
        guard let program = command.first else {
            throw IAMScribeError(.commandNotFound, "no command to run")
        }
        let argv = command.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = withCleanAttributes(processGroup: true) { attributes in
            posix_spawnp(&pid, program, nil, attributes, argv, envp)
        }
        guard result == 0 else {
            let code: IAMScribeError.Code = result == ENOENT || result == ENOTDIR ? .commandNotFound : .commandNotExecutable
            throw IAMScribeError(code, "cannot run \(program): \(String(cString: strerror(result)))")
        }
        let child = ChildProcess(pid: pid)
        child.takeTerminal()
        return child
    }

    /// Passes a signal on to the command's process group.
    public func signal(_ number: Int32) {
        guard termination == nil else { return }
        if kill(-pid, number) != 0 { kill(pid, number) }
    }

    /// Checks, without blocking, whether the command has ended.
    ///
    /// - Returns: How it ended, or nil while it runs. A command stopped from the terminal
    ///   (Ctrl-Z) stops iamscribe too, and both continue together.
    public func poll() -> Termination? {
        if let termination { return termination }
        var status: Int32 = 0
        let waited = waitpid(pid, &status, WNOHANG | (ownsTerminal ? WUNTRACED : 0))
        if waited == pid {
            if status & 0x7F == 0x7F {
                suspendWithCommand()
                return nil
            }
            termination = status & 0x7F == 0 ? .exited((status >> 8) & 0xFF) : .signaled(status & 0x7F)
        } else if waited < 0 && errno != EINTR {
            termination = .exited(0)
        }
        if termination != nil { giveBackTerminal() }
        return termination
    }

    /// Waits for the command to end, checking every `interval` for a signal to pass on and
    /// calling `tick` between checks.
    ///
    /// - Parameters:
    ///   - interval: The pause between two checks.
    ///   - pendingSignal: Returns a signal to pass on (and forgets it), or 0.
    ///   - tick: Work to do between checks (flushing a journal, for example).
    /// - Returns: How the command ended.
    public func wait(every interval: TimeInterval, pendingSignal: () -> Int32, tick: () -> Void = {}) -> Termination {
        while true {
            if let termination = poll() { return termination }
            let number = pendingSignal()
            if number != 0 { signal(number) }
            tick()
            usleep(useconds_t(max(interval, 0.001) * 1_000_000))
        }
    }

    /// Starts iamscribe again, detached: a new session, standard streams on /dev/null, no other
    /// descriptor inherited (a supervisor waits for the ones it handed over to close).
    ///
    /// - Parameter arguments: The arguments of the new process (without the program).
    /// - Returns: The new process's id.
    /// - Throws: ``IAMScribeError`` with code `.system` when it cannot start.
    public static func detachSelf(arguments: [String]) throws -> pid_t {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
        }
        _ = iamscribe_spawn_close_from(&actions, 3)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = withCleanAttributes(processGroup: false) { attributes in
            // The new session also keeps the recorder out of the terminal's process group.
            var flags: Int16 = 0
            posix_spawnattr_getflags(attributes, &flags)
            posix_spawnattr_setflags(attributes, flags | iamscribe_posix_spawn_setsid_flag())
            return posix_spawn(&pid, executable, &actions, attributes, argv, environ)
        }
        guard result == 0 else {
            throw IAMScribeError(.system, "cannot start the background recorder: \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Spawn attributes that give a child the signal state of a fresh process: nothing blocked,
    /// default handling for the signals iamscribe catches or ignores (a parent's ignored SIGPIPE
    /// or blocked SIGINT would otherwise pass on to the command).
    private static func withCleanAttributes<T>(processGroup: Bool, _ body: (UnsafeMutablePointer<posix_spawnattr_t>) -> T) -> T {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGTTOU, SIGTTIN, SIGTSTP] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if processGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        return body(&attributes)
    }

    // MARK: The terminal

    /// Whether iamscribe's standard input is the terminal of its process group's foreground.
    private static var controlsTerminal: Bool {
        isatty(STDIN_FILENO) == 1 && tcgetpgrp(STDIN_FILENO) == getpgrp()
    }

    /// Hands the terminal to the command's group, as a shell does for a foreground job.
    private func takeTerminal() {
        guard Self.controlsTerminal else { return }
        Self.withTerminalSignalsBlocked { _ = tcsetpgrp(STDIN_FILENO, pid) }
        ownsTerminal = true
        // The command may have touched the terminal before it was its own, and been stopped.
        kill(-pid, SIGCONT)
    }

    private func giveBackTerminal() {
        guard ownsTerminal else { return }
        ownsTerminal = false
        Self.withTerminalSignalsBlocked { _ = tcsetpgrp(STDIN_FILENO, getpgrp()) }
    }

    /// Ctrl-Z stopped the command: stop iamscribe as well, so the shell sees the job stopped,
    /// and continue the command when the shell continues iamscribe.
    private func suspendWithCommand() {
        Self.withTerminalSignalsBlocked { _ = tcsetpgrp(STDIN_FILENO, getpgrp()) }
        kill(getpid(), SIGSTOP)
        if Self.controlsTerminal {
            Self.withTerminalSignalsBlocked { _ = tcsetpgrp(STDIN_FILENO, pid) }
        } else {
            ownsTerminal = false
        }
        kill(-pid, SIGCONT)
    }

    /// A background process that sets the terminal's foreground group gets SIGTTOU: block it.
    private static func withTerminalSignalsBlocked(_ body: () -> Void) {
        var set = sigset_t(), previous = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTTOU)
        pthread_sigmask(SIG_BLOCK, &set, &previous)
        body()
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }
}
