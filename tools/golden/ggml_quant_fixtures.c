// Writes golden quantization fixtures from ggml itself, so longlm4j's Java quantizers and
// dequantizers are checked against an independent implementation.
//
// For ROWS x COLS deterministic pseudo-random floats (with outliers, zeros, tiny values, all-positive,
// constant, all-zero and large-valued blocks), and for each type, writes into OUT_DIR:
//   input.f32         the input rows, little-endian float32
//   <type>.bin        ggml_quantize_chunk(type, input, no imatrix): what llama-quantize writes
//   <type>.deq.f32    ggml's to_float of those bytes
#include "ggml.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 5
#define COLS 512

static uint32_t rng_state = 0x9E3779B9u;

static float uniform(void) { // in [-1, 1)
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (float)(rng_state >> 8) / (float)(1u << 23) - 1.0f;
}

static float bell(void) { // roughly normal with unit variance
    return (uniform() + uniform() + uniform() + uniform()) * 0.8660254f;
}

static void fill(float * x) {
    for (int c = 0; c < COLS; c++) { // row 0: typical small weights
        x[c] = 0.02f * bell();
    }
    for (int c = 0; c < COLS; c++) { // row 1: outliers every 37th value
        x[COLS + c] = (c % 37 == 5 ? 40.0f : 1.0f) * bell();
    }
    for (int c = 0; c < COLS; c++) { // row 2: zero blocks, a tiny block, otherwise normal
        float v = bell();
        if (c < 64) v = 0.0f;
        else if (c >= 256 && c < 288) v *= 1e-9f;
        else if (c % 11 == 0) v = 0.0f;
        x[2 * COLS + c] = v;
    }
    for (int c = 0; c < COLS; c++) { // row 3: all positive, a constant block, a negative tail
        float v = 1.0f + 0.5f * uniform();
        if (c >= 128 && c < 160) v = 0.25f;
        if (c >= COLS - 32) v = -v;
        x[3 * COLS + c] = v;
    }
    for (int c = 0; c < COLS; c++) { // row 4: an all-zero super-block, a constant negative block, large values
        float v = 0.0f;
        if (c >= 256 && c < 288) v = -0.75f;
        else if (c >= 288 && c < 384) v = 1000.0f * bell();
        else if (c >= 384) v = (c % 2 ? 1e-3f : -1e-3f) * (1.0f + uniform());
        x[4 * COLS + c] = v;
    }
}

static void write_file(const char * dir, const char * name, const void * data, size_t size) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE * f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

int main(int argc, char ** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
        return 2;
    }
    const char * dir = argv[1];
    static float input[ROWS * COLS];
    static float deq[ROWS * COLS];
    fill(input);
    write_file(dir, "input.f32", input, sizeof(input));

    const enum ggml_type types[] = {
        GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1,
        GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K,
    };
    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        enum ggml_type type = types[t];
        size_t size = ggml_row_size(type, COLS) * ROWS;
        void * q = calloc(1, size);
        size_t written = ggml_quantize_chunk(type, input, q, 0, ROWS, COLS, NULL);
        if (written != size) {
            fprintf(stderr, "%s: wrote %zu bytes, expected %zu\n", ggml_type_name(type), written, size);
            return 1;
        }
        ggml_get_type_traits(type)->to_float(q, deq, ROWS * COLS);

        char name[64];
        char lower[32];
        snprintf(lower, sizeof(lower), "%s", ggml_type_name(type));
        for (char * p = lower; *p; p++) if (*p >= 'A' && *p <= 'Z') *p += 'a' - 'A';
        snprintf(name, sizeof(name), "%s.bin", lower);
        write_file(dir, name, q, size);
        snprintf(name, sizeof(name), "%s.deq.f32", lower);
        write_file(dir, name, deq, sizeof(deq));
        printf("%-5s %6zu bytes\n", ggml_type_name(type), size);
        free(q);
    }
    return 0;
}
