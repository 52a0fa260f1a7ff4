// Hardware primitives as inline PTX: half conversions, tensor-core MMA, ldmatrix, cp.async.
// Everything else in these kernels is plain CUDA C++; keeping the PTX in this one file lets the
// standalone harness (tools/cuda) swap it for a CPU emulation and run every kernel without a GPU.
// Needs sm_80 or newer (cvt.rn.f16x2.f32, cp.async, ldmatrix, mma.m16n8k16).

static __device__ __forceinline__ float f16_to_f32(unsigned short h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}

/** Round to nearest even, as ggml's GGML_FP32_TO_FP16. */
static __device__ __forceinline__ unsigned short f32_to_f16(float f) {
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}

/** Two floats as a half2 word: {@code lo} in bits 0-15 (the lower address), {@code hi} in bits 16-31. */
static __device__ __forceinline__ unsigned pack_f16x2(float lo, float hi) {
    unsigned r;
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

/** Shared-memory address of a generic pointer into shared memory, for ldmatrix and cp.async. */
static __device__ __forceinline__ unsigned shared_address(const void* p) {
    unsigned a;
    asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(a) : "l"(p));
    return a;
}

/**
 * D += A·B for one warp: A 16×16 f16 (row-major fragments a[0..3]), B 16×8 f16 (column fragments
 * b[0..1]), D 16×8 f32 (d[0..3]). Fragment layouts are PTX's for mma.m16n8k16: with g = lane/4 and
 * t = lane%4, a[0] holds A[g][2t,2t+1], a[1] A[g+8][2t..], a[2] A[g][2t+8..], a[3] A[g+8][2t+8..];
 * b[0] B[2t,2t+1][g], b[1] B[2t+8,2t+9][g]; d[0..1] D[g][2t,2t+1], d[2..3] D[g+8][2t,2t+1].
 */
static __device__ __forceinline__ void mma_16816(float* d, const unsigned* a, const unsigned* b) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

/**
 * Four 8×8 b16 matrices from shared memory: lanes 8i … 8i+7 give the row addresses of matrix i;
 * lane l receives in r[i] row l/4, columns 2(l%4) and 2(l%4)+1 of matrix i.
 */
static __device__ __forceinline__ void ldmatrix_x4(unsigned* r, const void* rowAddress) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(shared_address(rowAddress)));
}

/** As {@link ldmatrix_x4}, transposed: lane l receives rows 2(l%4) and 2(l%4)+1, column l/4 of matrix i. */
static __device__ __forceinline__ void ldmatrix_x4_trans(unsigned* r, const void* rowAddress) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(shared_address(rowAddress)));
}

/** Asynchronous 16-byte copy global → shared; when {@code valid} is false the 16 bytes are zero-filled and nothing is read. */
static __device__ __forceinline__ void cp_async16(void* sharedDst, const void* globalSrc, bool valid) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;"
                 :: "r"(shared_address(sharedDst)), "l"(globalSrc), "r"(valid ? 16 : 0) : "memory");
}

static __device__ __forceinline__ void cp_async_commit() {
    asm volatile("cp.async.commit_group;" ::: "memory");
}

/** Waits until at most {@code N} of this thread's committed cp.async groups are still in flight. */
template <int N>
static __device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;" :: "n"(N) : "memory");
}

/** The block's dynamic shared memory (16-byte aligned). */
static __device__ __forceinline__ unsigned char* dynamic_shared() {
    extern __shared__ __align__(16) unsigned char longlm_dynamic_shared[];
    return longlm_dynamic_shared;
}
