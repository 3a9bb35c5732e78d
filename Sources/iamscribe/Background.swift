import CSocketShims
import Foundation
import IAMScribeCore

/// Detaching a recorder: the same command again, without the flag, in a new session with its
/// standard streams on /dev/null (or a log file).
enum Background {
    static func detach(removing flag: String) throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        arguments.removeAll { $0 == flag }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, iamscribe_posix_spawn_setsid_flag())
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
        }
        // The detached recorder must hold nothing of its parent's beyond /dev/null: a supervisor
        // (a shell, a test harness) waits for the descriptors it handed us to close.
        _ = iamscribe_spawn_close_from(&actions, 3)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw IAMScribeError(.system, "cannot start the background recorder: \(String(cString: strerror(result)))")
        }
        print(pid)
    }
}
