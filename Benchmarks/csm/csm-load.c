/* Load generator for the CSM listener benchmark: sends the datagrams of a template file (one a
 * line) round-robin to 127.0.0.1:PORT, either as fast as sendmmsg allows or paced to a rate.
 * Usage: csm-load TEMPLATES PORT COUNT [RATE_PER_SECOND]   (RATE 0 or absent: as fast as possible) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: csm-load TEMPLATES PORT COUNT [RATE]\n"); return 2; }
    FILE *file = fopen(argv[1], "r");
    if (!file) { perror(argv[1]); return 2; }
    char **lines = NULL; size_t *lengths = NULL; size_t count = 0, capacity = 0;
    char *line = NULL; size_t size = 0; ssize_t got;
    while ((got = getline(&line, &size, file)) > 0) {
        if (line[got - 1] == '\n') line[--got] = 0;
        if (got == 0) continue;
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 256;
            lines = realloc(lines, capacity * sizeof(char *));
            lengths = realloc(lengths, capacity * sizeof(size_t));
        }
        lines[count] = strdup(line); lengths[count] = (size_t)got; count++;
    }
    fclose(file);
    long total = atol(argv[3]);
    double rate = argc > 4 ? atof(argv[4]) : 0;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {0};
    to.sin_family = AF_INET; to.sin_port = htons((unsigned short)atoi(argv[2]));
    to.sin_addr.s_addr = inet_addr("127.0.0.1");
    if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) { perror("connect"); return 2; }
    int buffer = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
    struct mmsghdr messages[BATCH]; struct iovec vectors[BATCH];
    long sent = 0; size_t next = 0; double start = now();
    while (sent < total) {
        int n = (int)((total - sent) < BATCH ? (total - sent) : BATCH);
        if (rate > 0) {
            /* Paced: smaller bursts so the rate is smooth at the millisecond scale. */
            n = n < 16 ? n : 16;
            double due = start + (double)sent / rate;
            while (now() < due) { }
        }
        memset(messages, 0, sizeof(struct mmsghdr) * n);
        for (int i = 0; i < n; i++) {
            vectors[i].iov_base = lines[next]; vectors[i].iov_len = lengths[next];
            next = (next + 1) % count;
            messages[i].msg_hdr.msg_iov = &vectors[i]; messages[i].msg_hdr.msg_iovlen = 1;
        }
        int done = sendmmsg(fd, messages, n, 0);
        if (done > 0) sent += done;
    }
    double elapsed = now() - start;
    printf("sent %ld datagrams in %.3f s (%.0f/s)\n", sent, elapsed, sent / elapsed);
    return 0;
}
