/* Memory read bandwidth: every thread sums its share of a buffer much larger than the caches;
 * decoding reads each weight once per token, so this read rate bounds tokens/s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <omp.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    size_t n = (size_t) 1 << 26; /* 64 Mi words = 512 MiB */
    /* integer words: the sum vectorises without reassociation flags, so the loop runs at memory speed */
    unsigned long long *a = aligned_alloc(64, n * sizeof(*a));
    memset(a, 1, n * sizeof(*a));
    omp_set_num_threads(threads);
    double best = 0;
    volatile unsigned long long sink = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = now();
        unsigned long long total = 0;
#pragma omp parallel for reduction(+:total) schedule(static)
        for (size_t i = 0; i < n; i++) {
            total += a[i];
        }
        double s = now() - t0;
        sink += total;
        double gbps = n * sizeof(*a) / s / 1e9;
        if (gbps > best) best = gbps;
    }
    printf("%.2f\n", best);
    return sink == 12345 ? 1 : 0;
}
