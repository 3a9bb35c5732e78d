#ifndef IAMSCRIBE_CSOCKETSHIMS_H
#define IAMSCRIBE_CSOCKETSHIMS_H
#include <stddef.h>

/// Receives up to `count` datagrams from `fd` in one system call (recvmmsg on Linux, a recv loop
/// elsewhere). Datagram i lands in `buffer + i * slot_size`; its length goes to `lengths[i]` and
/// `truncated[i]` is set when it did not fit. Blocks until at least one datagram arrives or the
/// socket's receive timeout passes. Returns the number received, 0 on timeout, -1 on error (errno).
/// When the socket has SO_RXQ_OVFL on and the kernel has dropped datagrams for want of room in
/// its receive queue, `*dropped` is set to the kernel's count of them (cumulative, since the
/// socket was opened); it is left alone when no datagram of the batch carries the count.
int iamscribe_receive_batch(int fd, unsigned char *buffer, size_t slot_size, unsigned int count,
                            size_t *lengths, int *truncated, unsigned int *dropped);

/// Reads the kernel's drop count (SOL_SOCKET / SO_RXQ_OVFL) from the control messages of one
/// received datagram. Returns 1 and sets `*dropped` when they hold one, else 0.
int iamscribe_control_drop_count(void *control, size_t length, unsigned int *dropped);

/// Reads the kernel's count of datagrams dropped on `fd` for want of room (SO_MEMINFO, Linux
/// 4.6+), without waiting for a datagram to carry it. Returns 1 and sets `*dropped`, else 0.
int iamscribe_socket_drop_count(int fd, unsigned int *dropped);

/// posix_spawn's flag for starting the child in a new session (hidden behind _GNU_SOURCE on Linux).
short iamscribe_posix_spawn_setsid_flag(void);

/// Adds "close every descriptor from `lowest` up" to spawn file actions, where the C library has
/// it (glibc 2.34+); returns nonzero when it does not.
#include <spawn.h>
int iamscribe_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

/// Names the calling thread (pthread_setname_np, hidden behind _GNU_SOURCE); Linux keeps the
/// first 15 bytes. Returns 0, or an error number.
int iamscribe_set_thread_name(const char *name);

#endif
