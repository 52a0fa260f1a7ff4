// Kernels of the CUDA bindings' tests (dev.longlm.backend.cuda.*Contract). The fake driver of the
// CPU tests (fake/fake_cuda.c) implements the same names with the same results.

// out[i] = a * x[i] + d + l: one argument of every kind the launcher packs.
extern "C" __global__ void args_probe(float* out, const float* x, float a, int n, double d, long long l) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        out[i] = a * x[i] + (float) d + (float) l;
    }
}

// y[i] += 1: replayed from a graph, each replay adds one.
extern "C" __global__ void add_one(float* y, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        y[i] += 1.0f;
    }
}

// out[0] = sum of x[0..n): one block stages x in n floats of dynamic shared memory (more than the
// 48 KiB a kernel gets without opting in), then halves the range until one sum is left.
extern "C" __global__ void shared_sum(float* out, const float* x, int n) {
    extern __shared__ float staged[];
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        staged[i] = x[i];
    }
    __syncthreads();
    for (int width = n; width > 1; width = (width + 1) / 2) {
        int half = (width + 1) / 2;
        for (int i = threadIdx.x; i + half < width; i += blockDim.x) {
            staged[i] += staged[i + half];
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        out[0] = staged[0];
    }
}
