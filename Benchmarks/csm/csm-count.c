/* The physical-limit baseline for the CSM listener benchmark: a recvmmsg loop on
 * 127.0.0.1:PORT that only counts datagrams. Stops after IDLE seconds without one, once the
 * first has come, and prints the count and the rate between the first and the last.
 * Usage: csm-count PORT [IDLE_SECONDS] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#define BATCH 64
#define SLOT 8193

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: csm-count PORT [IDLE]\n"); return 2; }
    double idle = argc > 2 ? atof(argv[2]) : 1.0;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int size = 16 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    struct timeval timeout = {0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    struct sockaddr_in at = {0};
    at.sin_family = AF_INET; at.sin_port = htons((unsigned short)atoi(argv[1]));
    at.sin_addr.s_addr = inet_addr("127.0.0.1");
    if (bind(fd, (struct sockaddr *)&at, sizeof at) != 0) { perror("bind"); return 2; }
    static unsigned char buffer[BATCH][SLOT];
    struct mmsghdr messages[BATCH]; struct iovec vectors[BATCH];
    long total = 0; double first = 0, last = 0;
    printf("ready\n"); fflush(stdout);
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            vectors[i].iov_base = buffer[i]; vectors[i].iov_len = SLOT;
            memset(&messages[i].msg_hdr, 0, sizeof messages[i].msg_hdr);
            messages[i].msg_hdr.msg_iov = &vectors[i]; messages[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd, messages, BATCH, MSG_WAITFORONE, NULL);
        double t = now();
        if (n > 0) {
            if (total == 0) first = t;
            total += n; last = t;
        } else if (total > 0 && t - last > idle) {
            break;
        }
    }
    double span = last - first > 0 ? last - first : 1e-9;
    printf("received %ld datagrams in %.3f s (%.0f/s)\n", total, span, total / span);
    return 0;
}
