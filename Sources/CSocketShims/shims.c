#define _GNU_SOURCE
#include "CSocketShims.h"
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <stdint.h>
#ifdef __linux__
#include <linux/sock_diag.h>
#endif

#define IAMSCRIBE_MAX_BATCH 256

#ifdef __linux__
/// Room for one control message: the drop counter (a 32-bit value).
#define IAMSCRIBE_CONTROL_SIZE CMSG_SPACE(sizeof(uint32_t))
#endif

int iamscribe_control_drop_count(void *control, size_t length, unsigned int *dropped) {
#if defined(__linux__) && defined(SO_RXQ_OVFL)
    struct msghdr message;
    memset(&message, 0, sizeof(message));
    message.msg_control = control;
    message.msg_controllen = length;
    for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SO_RXQ_OVFL
            && header->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
            uint32_t value;
            memcpy(&value, CMSG_DATA(header), sizeof(value));
            *dropped = value;
            return 1;
        }
    }
#else
    (void)control; (void)length; (void)dropped;
#endif
    return 0;
}

int iamscribe_socket_drop_count(int fd, unsigned int *dropped) {
#if defined(__linux__) && defined(SO_MEMINFO)
    uint32_t info[SK_MEMINFO_VARS];
    socklen_t length = sizeof(info);
    if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info, &length) != 0
        || length < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t)) return 0;
    *dropped = info[SK_MEMINFO_DROPS];
    return 1;
#else
    (void)fd; (void)dropped;
    return 0;
#endif
}

int iamscribe_receive_batch(int fd, unsigned char *buffer, size_t slot_size, unsigned int count,
                            size_t *lengths, int *truncated, unsigned int *dropped) {
    if (count > IAMSCRIBE_MAX_BATCH) count = IAMSCRIBE_MAX_BATCH;
#ifdef __linux__
    struct mmsghdr messages[IAMSCRIBE_MAX_BATCH];
    struct iovec vectors[IAMSCRIBE_MAX_BATCH];
    // Aligned as a control message header must be.
    union { struct cmsghdr header; unsigned char bytes[IAMSCRIBE_CONTROL_SIZE]; } controls[IAMSCRIBE_MAX_BATCH];
    memset(messages, 0, sizeof(struct mmsghdr) * count);
    for (unsigned int i = 0; i < count; i++) {
        vectors[i].iov_base = buffer + i * slot_size;
        vectors[i].iov_len = slot_size;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
        messages[i].msg_hdr.msg_control = controls[i].bytes;
        messages[i].msg_hdr.msg_controllen = sizeof(controls[i].bytes);
    }
    int received;
    do {
        received = recvmmsg(fd, messages, count, MSG_WAITFORONE, NULL);
    } while (received < 0 && errno == EINTR);
    if (received < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    for (int i = 0; i < received; i++) {
        lengths[i] = messages[i].msg_len;
        truncated[i] = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        unsigned int value;
        // The counter only grows (until it wraps): the last datagram's is the newest.
        if (iamscribe_control_drop_count(messages[i].msg_hdr.msg_control, messages[i].msg_hdr.msg_controllen, &value)) {
            *dropped = value;
        }
    }
    return received;
#else
    (void)dropped;
    ssize_t got;
    do {
        got = recv(fd, buffer, slot_size, MSG_TRUNC);
    } while (got < 0 && errno == EINTR);
    if (got < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    lengths[0] = (size_t)got > slot_size ? slot_size : (size_t)got;
    truncated[0] = (size_t)got > slot_size;
    return 1;
#endif
}


short iamscribe_posix_spawn_setsid_flag(void) {
#ifdef POSIX_SPAWN_SETSID
    return POSIX_SPAWN_SETSID;
#else
    return 0;
#endif
}

int iamscribe_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
#else
    (void)actions; (void)lowest;
    return -1;
#endif
}

int iamscribe_set_thread_name(const char *name) {
#ifdef __linux__
    return pthread_setname_np(pthread_self(), name);
#else
    return pthread_setname_np(name);
#endif
}
