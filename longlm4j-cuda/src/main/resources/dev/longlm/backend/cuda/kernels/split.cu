// Activations for the prompt GEMMs as two 16-bit halves: x ≈ hi + lo with hi = round(x) and
// lo = round(x − hi) in the same 16-bit type, so that two tensor-core products W·hi + W·lo give an
// F16 or BF16 weight matrix's product with the F32 activations to about 2^-22 (F16) or 2^-16 (BF16)
// relative instead of the 2^-11 / 2^-8 of one rounded copy (measured on the CPU: rounding the inputs of
// the bundled model's products to F16 alone moves log-probabilities by up to 1e-2).

/** hi[i] = f16(x[i]), lo[i] = f16(x[i] − hi[i]). Any grid (⌈n/256⌉) / 256. */
extern "C" __global__ void split_f32_to_f16(const float* x, unsigned short* hi, unsigned short* lo, long long n) {
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        unsigned short h = f32_to_f16(x[i]);
        hi[i] = h;
        lo[i] = f32_to_f16(__fsub_rn(x[i], f16_to_f32(h)));
    }
}

/** The same in BF16. */
extern "C" __global__ void split_f32_to_bf16(const float* x, unsigned short* hi, unsigned short* lo, long long n) {
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long) gridDim.x * blockDim.x) {
        unsigned short h = f32_to_bf16(x[i]);
        hi[i] = h;
        lo[i] = f32_to_bf16(__fsub_rn(x[i], bf16_to_f32(h)));
    }
}
