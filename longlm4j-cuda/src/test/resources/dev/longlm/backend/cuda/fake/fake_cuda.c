// A fake CUDA for the CPU tests of dev.longlm.backend.cuda: the driver API, cuBLAS and NVRTC
// functions the bindings call, with the C signatures of cuda.h (CUDA 13), cublas_api.h and
// nvrtc.h, emulated on the host. "Device" memory is malloc'd host memory, streams run each
// operation at once, kernels are the C functions below (same names and results as
// bindings_test_kernels.cu), and stream capture records operations for graph replay.
//
// It checks what no GPU is needed for: that every Java call site passes the right types, values
// and pointers across the FFM boundary, and that the Java objects built on them work together.
// It says nothing about real CUDA behaviour; the same contract tests run on a GPU for that.
//
// Emulated kernels: when NVRTC is given exactly the source in libemukernels.unit.cu next to this
// library (the backend's kernel unit, written by EmulatedCuda.java, which also builds
// libemukernels.so from the same kernels on the CPU emulator of tools/cuda/emu.h), the "image"
// names that library, and its modules launch the real kernels through its generated wrappers
// (tools/cuda/emu_module.h), synchronously, with their dynamic shared memory.
//
// Device memory is checked as a GPU cannot: each allocation ends at a page the process may not
// touch (an overrun crashes at once), starts filled with 0xFF bytes (NaN as f32 and f16: reading
// what was never written shows), and copies, GEMM operands and the pointer parameters of emulated
// kernels must lie inside one live allocation (else an error naming the call is printed on stderr).
//
// Built by FakeCuda.java with: cc -shared -fPIC -O2 -o libfakecuda.so fake_cuda.c -lm -ldl

#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

typedef int CUresult;
typedef unsigned long long CUdeviceptr;
typedef void* handle;

#define OK 0
#define ERR_INVALID_VALUE 1
#define ERR_OUT_OF_MEMORY 2
#define ERR_INVALID_IMAGE 200
#define ERR_INVALID_HANDLE 400
#define ERR_NOT_FOUND 500
#define ERR_ILLEGAL_ADDRESS 700
#define ERR_LAUNCH_FAILED 719
#define ERR_STREAM_CAPTURE_UNSUPPORTED 900
#define ERR_STREAM_CAPTURE_INVALIDATED 901

static const long long TOTAL_MEMORY = 8LL << 30;
static long long allocated = 0;

// ---- errors and versions ----

CUresult cuGetErrorName(CUresult error, const char** name) {
    switch (error) {
        case OK: *name = "CUDA_SUCCESS"; return OK;
        case ERR_INVALID_VALUE: *name = "CUDA_ERROR_INVALID_VALUE"; return OK;
        case ERR_OUT_OF_MEMORY: *name = "CUDA_ERROR_OUT_OF_MEMORY"; return OK;
        case ERR_INVALID_IMAGE: *name = "CUDA_ERROR_INVALID_IMAGE"; return OK;
        case ERR_INVALID_HANDLE: *name = "CUDA_ERROR_INVALID_HANDLE"; return OK;
        case ERR_NOT_FOUND: *name = "CUDA_ERROR_NOT_FOUND"; return OK;
        case ERR_ILLEGAL_ADDRESS: *name = "CUDA_ERROR_ILLEGAL_ADDRESS"; return OK;
        case ERR_LAUNCH_FAILED: *name = "CUDA_ERROR_LAUNCH_FAILED"; return OK;
        case ERR_STREAM_CAPTURE_UNSUPPORTED: *name = "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"; return OK;
        case ERR_STREAM_CAPTURE_INVALIDATED: *name = "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"; return OK;
        default: *name = 0; return ERR_INVALID_VALUE;
    }
}

CUresult cuInit(unsigned int flags) { return flags == 0 ? OK : ERR_INVALID_VALUE; }
CUresult cuDriverGetVersion(int* version) { *version = 13000; return OK; }
CUresult cuDeviceGetCount(int* count) { *count = 1; return OK; }
CUresult cuDeviceGet(int* device, int ordinal) { if (ordinal != 0) return ERR_INVALID_VALUE; *device = 7; return OK; }

CUresult cuDeviceGetName(char* name, int len, int device) {
    if (device != 7 || len < 9) return ERR_INVALID_VALUE;
    strcpy(name, "Fake GPU");
    return OK;
}

CUresult cuDeviceGetAttribute(int* value, int attribute, int device) {
    if (device != 7) return ERR_INVALID_VALUE;
    switch (attribute) {
        case 75: *value = 9; return OK;       // compute capability major
        case 76: *value = 0; return OK;       // minor
        case 16: *value = 4; return OK;       // multiprocessors
        case 97: *value = 232448; return OK;  // shared memory per block, opt-in
        case 81: *value = 233472; return OK;  // shared memory per multiprocessor
        default: return ERR_INVALID_VALUE;
    }
}

CUresult cuDeviceTotalMem_v2(size_t* bytes, int device) {
    if (device != 7) return ERR_INVALID_VALUE;
    *bytes = TOTAL_MEMORY;
    return OK;
}

// ---- context ----

static int retained = 0;
static void* current = 0;
static char context_object;

CUresult cuDevicePrimaryCtxRetain(handle* ctx, int device) {
    if (device != 7) return ERR_INVALID_VALUE;
    retained++;
    *ctx = &context_object;
    return OK;
}
CUresult cuDevicePrimaryCtxRelease_v2(int device) {
    if (device != 7 || retained == 0) return ERR_INVALID_VALUE;
    retained--;
    return OK;
}
CUresult cuCtxSetCurrent(handle ctx) { if (ctx != &context_object) return ERR_INVALID_VALUE; current = ctx; return OK; }

// The one capture sequence (the bindings capture in CU_STREAM_CAPTURE_MODE_THREAD_LOCAL from one thread) and its
// status as CUstreamCaptureStatus: none, active, or invalidated by a call that capture does not permit.
enum { CAPTURE_NONE = 0, CAPTURE_ACTIVE = 1, CAPTURE_INVALIDATED = 2 };
static int capture_status = CAPTURE_NONE;

/**
 * Whether `call` is refused because a capture is under way: as in the driver's thread-local mode, calls
 * that are not queued on the stream (allocating, freeing, synchronizing) fail with
 * CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED and invalidate the capture (its cuStreamEndCapture then fails).
 */
static int refused_while_capturing(const char* call) {
    if (capture_status == CAPTURE_NONE) return 0;
    fprintf(stderr, "fake cuda: %s while a stream is capturing: CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, capture invalidated\n",
            call);
    capture_status = CAPTURE_INVALIDATED;
    return 1;
}

CUresult cuCtxSynchronize(void) {
    if (refused_while_capturing("cuCtxSynchronize")) return ERR_STREAM_CAPTURE_UNSUPPORTED;
    return current ? OK : ERR_INVALID_VALUE;
}

// ---- memory: host pages stand for device memory ----

// An allocation: `bytes` at `base`, the last bytes before a PROT_NONE guard page of its mapping.
typedef struct { char* base; size_t bytes; void* mapping; size_t mapped; } Block;
static Block* blocks = 0;
static int block_count = 0;
static int block_capacity = 0;

static size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

/** The live allocation holding [p, p + bytes), or 0. */
static const Block* find_block(uintptr_t p, size_t bytes) {
    for (int i = block_count - 1; i >= 0; i--) {
        uintptr_t start = (uintptr_t) blocks[i].base;
        if (p >= start && p < start + blocks[i].bytes) {
            return bytes <= start + blocks[i].bytes - p ? &blocks[i] : 0;
        }
    }
    return 0;
}

/** Whether [p, p + bytes) is device memory; prints what is wrong otherwise. */
static int device_range(const char* call, const char* what, uintptr_t p, size_t bytes) {
    if (bytes == 0 || find_block(p, bytes)) return 1;
    const Block* start = find_block(p, 1);
    if (start) {
        fprintf(stderr, "fake cuda: %s: %s 0x%llx + %zu bytes runs %zu bytes past its allocation of %zu bytes\n", call, what,
                (unsigned long long) p, bytes, (size_t) (p + bytes - ((uintptr_t) start->base + start->bytes)), start->bytes);
    } else {
        fprintf(stderr, "fake cuda: %s: %s 0x%llx is not in any live device allocation\n", call, what, (unsigned long long) p);
    }
    return 0;
}

CUresult cuMemGetInfo_v2(size_t* free_bytes, size_t* total) {
    *free_bytes = (size_t) (TOTAL_MEMORY / 2 - allocated);
    *total = (size_t) TOTAL_MEMORY;
    return OK;
}

CUresult cuMemAlloc_v2(CUdeviceptr* ptr, size_t bytes) {
    if (refused_while_capturing("cuMemAlloc")) return ERR_STREAM_CAPTURE_UNSUPPORTED;
    if (bytes == 0) return ERR_INVALID_VALUE;
    if ((long long) bytes > TOTAL_MEMORY / 2 - allocated) return ERR_OUT_OF_MEMORY;
    if (block_count == block_capacity) {
        int capacity = block_capacity ? 2 * block_capacity : 1024;
        Block* grown = realloc(blocks, sizeof(Block) * (size_t) capacity);
        if (!grown) return ERR_OUT_OF_MEMORY;
        blocks = grown;
        block_capacity = capacity;
    }
    size_t page = (size_t) sysconf(_SC_PAGESIZE);
    size_t used = round_up(bytes, 256);  // cuMemAlloc's alignment
    size_t mapped = round_up(used, page) + page;
    char* mapping = mmap(0, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) return ERR_OUT_OF_MEMORY;
    mprotect(mapping + mapped - page, page, PROT_NONE);
    char* base = mapping + mapped - page - used;
    memset(base, 0xFF, used);  // as uninitialised as it gets: NaN in f32 and f16
    blocks[block_count++] = (Block) {base, bytes, mapping, mapped};
    allocated += (long long) bytes;
    *ptr = (CUdeviceptr) (uintptr_t) base;
    return OK;
}

CUresult cuMemFree_v2(CUdeviceptr ptr) {
    if (refused_while_capturing("cuMemFree")) return ERR_STREAM_CAPTURE_UNSUPPORTED;
    for (int i = 0; i < block_count; i++) {
        if ((CUdeviceptr) (uintptr_t) blocks[i].base == ptr) {
            munmap(blocks[i].mapping, blocks[i].mapped);
            allocated -= (long long) blocks[i].bytes;
            blocks[i] = blocks[--block_count];
            return OK;
        }
    }
    return ERR_INVALID_VALUE;
}

// Page-locked host memory: cuMemHostAlloc'd or registered ranges. Graphs copy only from these (a copy
// node reads its host memory when the graph runs, so it must still be there then).
typedef struct { char* base; size_t bytes; int allocated; } Pinned;
static Pinned* pinned = 0;
static int pinned_count = 0;

static int add_pinned(void* base, size_t bytes, int allocated_here) {
    Pinned* grown = realloc(pinned, sizeof(Pinned) * (size_t) (pinned_count + 1));
    if (!grown) return 0;
    pinned = grown;
    pinned[pinned_count++] = (Pinned) {base, bytes, allocated_here};
    return 1;
}

/** Removes the pinned range starting at `base` (allocated by cuMemHostAlloc or not); whether there was one. */
static int remove_pinned(void* base, int allocated_here) {
    for (int i = 0; i < pinned_count; i++) {
        if (pinned[i].base == base && pinned[i].allocated == allocated_here) {
            pinned[i] = pinned[--pinned_count];
            return 1;
        }
    }
    return 0;
}

/** Whether [p, p + bytes) lies in one live pinned range. */
static int is_pinned(uintptr_t p, size_t bytes) {
    for (int i = 0; i < pinned_count; i++) {
        uintptr_t start = (uintptr_t) pinned[i].base;
        if (p >= start && p + bytes <= start + pinned[i].bytes) return 1;
    }
    return 0;
}

CUresult cuMemHostAlloc(void** p, size_t bytes, unsigned int flags) {
    if (refused_while_capturing("cuMemHostAlloc")) return ERR_STREAM_CAPTURE_UNSUPPORTED;
    if (flags != 1) return ERR_INVALID_VALUE;  // the bindings ask for portable memory
    *p = calloc(1, bytes);
    if (*p && !add_pinned(*p, bytes, 1)) {
        free(*p);
        *p = 0;
    }
    return *p ? OK : ERR_OUT_OF_MEMORY;
}
CUresult cuMemFreeHost(void* p) {
    if (refused_while_capturing("cuMemFreeHost")) return ERR_STREAM_CAPTURE_UNSUPPORTED;
    if (!remove_pinned(p, 1)) return ERR_INVALID_VALUE;
    free(p);
    return OK;
}
CUresult cuMemHostRegister_v2(void* p, size_t bytes, unsigned int flags) {
    if (refused_while_capturing("cuMemHostRegister")) return ERR_STREAM_CAPTURE_UNSUPPORTED;
    if (!p || !bytes || !(flags & 1)) return ERR_INVALID_VALUE;
    return add_pinned(p, bytes, 0) ? OK : ERR_OUT_OF_MEMORY;
}
CUresult cuMemHostUnregister(void* p) {
    if (refused_while_capturing("cuMemHostUnregister")) return ERR_STREAM_CAPTURE_UNSUPPORTED;
    return p && remove_pinned(p, 0) ? OK : ERR_INVALID_VALUE;
}

// ---- streams, capture and graphs ----

typedef struct { int capturing; } Stream;

// A kernel: one of the built-in C functions below (fn), or an emulated kernel of a loaded
// libemukernels.so (emu, with its parameters' sizes and kinds from the library).
#define MAX_PARAMS 32
typedef void (*KernelFn)(unsigned, unsigned, unsigned, unsigned, void**);
typedef int (*EmuLaunch)(unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void**);
typedef struct { int count; int sizes[32]; char kinds[33]; } EmuParams;  // emu_module.h's LongLmEmuParams
typedef const EmuParams* (*EmuParamsFn)(void);
typedef struct {
    const char* name;
    KernelFn fn;
    int count;
    int sizes[MAX_PARAMS];
    int max_dynamic_shared;
    EmuLaunch emu;
    const char* kinds;
} Kernel;

// What a stream runs, or a graph holds as one node. Copies name their direction so that a graph can
// check, each time it runs, that their memory is still there (host memory pinned, device memory live).
enum { OP_LAUNCH, OP_COPY_HTOD, OP_COPY_DTOH, OP_COPY_DTOD, OP_FILL8, OP_FILL32, OP_GEMM };
typedef struct {
    int kind;
    const Kernel* kernel;
    unsigned grid[3], block[3];
    unsigned shared;
    unsigned char params[MAX_PARAMS][8];
    void* dst;
    const void* src;
    size_t count;
    unsigned value;
    int gemm[12];
    float alpha, beta;
    const void* a; const void* b; void* c;
} Op;

// A CUgraphNode. Never freed: a handle kept past its graph's cuGraphDestroy is recognised as dead
// (the driver documents node handles as valid only until their graph is destroyed).
typedef struct { long long graph; int index; int live; } Node;

// A CUgraph (what a capture recorded: a chain of nodes, each depending on the one before) or a
// CUgraphExec (its instantiated copy, which node updates change and launches run).
typedef struct {
    long long serial;  // unique per captured graph; an exec keeps its graph's
    Op* ops;
    Node** nodes;
    int count, capacity;
} Graph;

static long long next_graph_serial = 1;
static Stream* capturing_stream = 0;
static Graph* capture = 0;
static const Node* last_captured[1];
static const unsigned char no_edge_data[8];

// What tests may ask of the fake (fake_cuda_graph_counts): captures ended, graph launches, nodes run
// by launches, kernel nodes updated.
static long long counts[4];

/** Appends `op` to the capture when `s` is the capturing stream (then it does not run now); whether it did. */
static int record(Stream* s, Op op) {
    if (!s || !s->capturing) return 0;
    if (capture->count == capture->capacity) {
        int capacity = capture->capacity ? 2 * capture->capacity : 256;
        capture->ops = realloc(capture->ops, sizeof(Op) * (size_t) capacity);
        capture->nodes = realloc(capture->nodes, sizeof(Node*) * (size_t) capacity);
        capture->capacity = capacity;
    }
    Node* node = malloc(sizeof(Node));
    *node = (Node) {capture->serial, capture->count, 1};
    capture->nodes[capture->count] = node;
    capture->ops[capture->count++] = op;
    return 1;
}

static void free_graph(Graph* g) {
    free(g->ops);
    free(g->nodes);
    free(g);
}

CUresult cuStreamCreate(handle* stream, unsigned int flags) {
    if (flags != 1) return ERR_INVALID_VALUE;  // the bindings ask for non-blocking streams
    *stream = calloc(1, sizeof(Stream));
    return OK;
}
CUresult cuStreamDestroy_v2(handle stream) { if (!stream) return ERR_INVALID_HANDLE; free(stream); return OK; }
CUresult cuStreamSynchronize(handle stream) {
    if (!stream) return ERR_INVALID_HANDLE;
    if (((Stream*) stream)->capturing && refused_while_capturing("cuStreamSynchronize")) return ERR_STREAM_CAPTURE_UNSUPPORTED;
    return OK;
}
CUresult cuStreamWaitEvent(handle stream, handle event, unsigned int flags) { return stream && event && flags == 0 ? OK : ERR_INVALID_VALUE; }

CUresult cuStreamBeginCapture_v2(handle stream, int mode) {
    if (!stream || capture || mode != 1) return ERR_INVALID_VALUE;  // the bindings capture thread-local
    capture = calloc(1, sizeof(Graph));
    capture->serial = next_graph_serial++;
    capturing_stream = stream;
    capturing_stream->capturing = 1;
    capture_status = CAPTURE_ACTIVE;
    return OK;
}

CUresult cuStreamEndCapture(handle stream, handle* graph) {
    if (!capture || stream != capturing_stream) return ERR_INVALID_VALUE;  // CUDA_ERROR_STREAM_CAPTURE_UNMATCHED
    int invalidated = capture_status == CAPTURE_INVALIDATED;
    capturing_stream->capturing = 0;
    capturing_stream = 0;
    capture_status = CAPTURE_NONE;
    if (invalidated) {
        for (int i = 0; i < capture->count; i++) capture->nodes[i]->live = 0;
        free_graph(capture);
        capture = 0;
        *graph = 0;
        return ERR_STREAM_CAPTURE_INVALIDATED;
    }
    *graph = capture;
    capture = 0;
    counts[0]++;
    return OK;
}

// cuda.h (CUDA 13): CUresult cuStreamGetCaptureInfo_v3(CUstream, CUstreamCaptureStatus* captureStatus_out,
// cuuint64_t* id_out, CUgraph* graph_out, const CUgraphNode** dependencies_out,
// const CUgraphEdgeData** edgeData_out, size_t* numDependencies_out). A captured stream is a chain here,
// so the next node depends on the last one captured (none before the first).
CUresult cuStreamGetCaptureInfo_v3(handle stream, int* status, unsigned long long* id, handle* graph, const Node*** dependencies,
                                   const void** edge_data, size_t* count) {
    if (!stream || !status || (edge_data && !dependencies)) return ERR_INVALID_VALUE;
    Stream* s = stream;
    *status = s->capturing ? capture_status : CAPTURE_NONE;
    if (*status != CAPTURE_ACTIVE) return OK;
    if (id) *id = (unsigned long long) capture->serial;
    if (graph) *graph = capture;
    last_captured[0] = capture->count ? capture->nodes[capture->count - 1] : 0;
    if (dependencies) *dependencies = last_captured;
    if (edge_data) *edge_data = no_edge_data;
    if (count) *count = capture->count ? 1 : 0;
    return OK;
}

CUresult cuGraphInstantiateWithFlags(handle* exec, handle graph, unsigned long long flags) {
    if (!graph || flags != 0) return ERR_INVALID_VALUE;
    if (refused_while_capturing("cuGraphInstantiate")) return ERR_STREAM_CAPTURE_UNSUPPORTED;
    const Graph* g = graph;
    Graph* copy = calloc(1, sizeof(Graph));
    copy->serial = g->serial;
    copy->count = copy->capacity = g->count;
    copy->ops = malloc(sizeof(Op) * (size_t) (g->count ? g->count : 1));
    copy->nodes = malloc(sizeof(Node*) * (size_t) (g->count ? g->count : 1));
    memcpy(copy->ops, g->ops, sizeof(Op) * (size_t) g->count);
    memcpy(copy->nodes, g->nodes, sizeof(Node*) * (size_t) g->count);
    *exec = copy;
    return OK;
}

CUresult cuGraphDestroy(handle graph) {
    if (!graph) return ERR_INVALID_HANDLE;
    Graph* g = graph;
    for (int i = 0; i < g->count; i++) g->nodes[i]->live = 0;
    free_graph(g);
    return OK;
}
CUresult cuGraphExecDestroy(handle exec) { if (!exec) return ERR_INVALID_HANDLE; free_graph(exec); return OK; }

/** Whether a kernel's pointer parameters (as far as its library names them) each point into live device memory. */
static int pointers_live(const char* call, const Kernel* k, unsigned char params[][8]) {
    for (int i = 0; k->kinds && i < k->count; i++) {
        CUdeviceptr p;
        memcpy(&p, params[i], sizeof p);
        if (k->kinds[i] == 'p' && p != 0 && !find_block(p, 1)) {
            fprintf(stderr, "fake cuda: %s of %s: parameter %d (0x%llx) is not in any live device allocation\n", call, k->name, i, p);
            return 0;
        }
    }
    return 1;
}

static int launch_shape_valid(const Kernel* k, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                              unsigned shared) {
    if (gx == 0 || gy == 0 || gz == 0 || bx * by * bz == 0 || bx * by * bz > 1024) return 0;
    if (gy > 65535 || gz > 65535) return 0;
    if (shared > (unsigned) k->max_dynamic_shared) {
        if (k->emu) {
            fprintf(stderr, "fake cuda: %s: %u bytes of dynamic shared memory, but the function allows %d "
                    "(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES)\n", k->name, shared, k->max_dynamic_shared);
        }
        return 0;
    }
    return 1;
}

// cuda.h's CUDA_KERNEL_NODE_PARAMS_v2 (CUDA 12 and 13), field for field.
typedef struct {
    handle func;
    unsigned int gridDimX, gridDimY, gridDimZ;
    unsigned int blockDimX, blockDimY, blockDimZ;
    unsigned int sharedMemBytes;
    void** kernelParams;
    void** extra;
    handle kern;
    handle ctx;
} KernelNodeParams;
_Static_assert(sizeof(KernelNodeParams) == 72, "CUDA_KERNEL_NODE_PARAMS_v2 is 72 bytes");
_Static_assert(__builtin_offsetof(KernelNodeParams, kernelParams) == 40, "kernelParams at 40");

/**
 * The node `node` of `exec` gets new launch parameters, as cuGraphExecKernelNodeSetParams_v2: `node` must be
 * a live kernel node of the graph `exec` was instantiated from. The driver would also accept another
 * function within limits; the backend only ever updates arguments, so a different function here means
 * the wrong node and is refused.
 */
CUresult cuGraphExecKernelNodeSetParams_v2(handle exec, handle node, const KernelNodeParams* p) {
    Graph* g = exec;
    const Node* n = node;
    if (!g || !n || !p) return ERR_INVALID_VALUE;
    if (!n->live) {
        fprintf(stderr, "fake cuda: cuGraphExecKernelNodeSetParams: the node's graph was destroyed (node handles are valid "
                "only while their graph lives; keep the CUgraph as long as its exec is updated)\n");
        return ERR_INVALID_VALUE;
    }
    if (n->graph != g->serial || n->index >= g->count || g->nodes[n->index] != n) {
        fprintf(stderr, "fake cuda: cuGraphExecKernelNodeSetParams: the node is not of the graph this exec was instantiated from\n");
        return ERR_INVALID_VALUE;
    }
    Op* op = &g->ops[n->index];
    if (op->kind != OP_LAUNCH) {
        fprintf(stderr, "fake cuda: cuGraphExecKernelNodeSetParams: node %d is not a kernel node\n", n->index);
        return ERR_INVALID_VALUE;
    }
    const Kernel* k = p->func;
    if (k != op->kernel) {
        fprintf(stderr, "fake cuda: cuGraphExecKernelNodeSetParams: node %d launches %s, not %s\n", n->index, op->kernel->name,
                k ? k->name : "(null)");
        return ERR_INVALID_VALUE;
    }
    if (p->extra || p->kern || p->ctx || !p->kernelParams) {
        fprintf(stderr, "fake cuda: cuGraphExecKernelNodeSetParams: extra, kern and ctx must be null and kernelParams set "
                "(a struct laid out unlike CUDA_KERNEL_NODE_PARAMS_v2?)\n");
        return ERR_INVALID_VALUE;
    }
    if (!launch_shape_valid(k, p->gridDimX, p->gridDimY, p->gridDimZ, p->blockDimX, p->blockDimY, p->blockDimZ,
                            p->sharedMemBytes)) {
        return ERR_INVALID_VALUE;
    }
    Op updated = *op;
    updated.grid[0] = p->gridDimX; updated.grid[1] = p->gridDimY; updated.grid[2] = p->gridDimZ;
    updated.block[0] = p->blockDimX; updated.block[1] = p->blockDimY; updated.block[2] = p->blockDimZ;
    updated.shared = p->sharedMemBytes;
    // The values are copied now, as the driver does: the caller reuses its argument buffer at once.
    for (int i = 0; i < k->count; i++) memcpy(updated.params[i], p->kernelParams[i], (size_t) k->sizes[i]);
    if (!pointers_live("cuGraphExecKernelNodeSetParams", k, updated.params)) return ERR_INVALID_VALUE;
    *op = updated;
    counts[3]++;
    return OK;
}

static void run_gemm(const Op* op);
static int gemm_ranges_live(const char* call, const Op* op);

static CUresult run(Op* op) {
    void* pointers[MAX_PARAMS];
    for (int p = 0; p < MAX_PARAMS; p++) pointers[p] = op->params[p];
    switch (op->kind) {
        case OP_LAUNCH:
            if (op->kernel->emu) {
                int r = op->kernel->emu(op->grid[0], op->grid[1], op->grid[2], op->block[0], op->block[1], op->block[2],
                                        op->shared, pointers);
                if (r == 1) {
                    fprintf(stderr, "fake cuda: %s: block %u x %u x %u: the kernels take 1-D blocks of whole warps\n",
                            op->kernel->name, op->block[0], op->block[1], op->block[2]);
                    return ERR_INVALID_VALUE;
                }
                return r == 0 ? OK : ERR_LAUNCH_FAILED;
            }
            op->kernel->fn(op->grid[0] * op->grid[1] * op->grid[2], op->block[0] * op->block[1] * op->block[2], 0, 0,
                           pointers);
            return OK;
        case OP_COPY_HTOD: case OP_COPY_DTOH: case OP_COPY_DTOD: memmove(op->dst, op->src, op->count); return OK;
        case OP_FILL8: memset(op->dst, (int) op->value, op->count); return OK;
        case OP_FILL32: for (size_t i = 0; i < op->count; i++) ((unsigned*) op->dst)[i] = op->value; return OK;
        case OP_GEMM: run_gemm(op); return OK;
    }
    return ERR_INVALID_VALUE;
}

/**
 * Whether a node's memory is still there when its graph runs: device ranges in live allocations, host
 * ranges pinned (a node keeps the addresses it was captured with, so a buffer freed or grown since then
 * is a bug of the caller that a GPU would not report).
 */
static int node_memory_live(int index, const Op* op) {
    char call[64];
    snprintf(call, sizeof call, "cuGraphLaunch, node %d", index);
    switch (op->kind) {
        case OP_LAUNCH: return pointers_live(call, op->kernel, (unsigned char (*)[8]) op->params);
        case OP_COPY_HTOD:
            if (!is_pinned((uintptr_t) op->src, op->count)) {
                fprintf(stderr, "fake cuda: %s: the host source of a copy is no longer pinned memory\n", call);
                return 0;
            }
            return device_range(call, "copy destination", (uintptr_t) op->dst, op->count);
        case OP_COPY_DTOH:
            if (!is_pinned((uintptr_t) op->dst, op->count)) {
                fprintf(stderr, "fake cuda: %s: the host destination of a copy is no longer pinned memory\n", call);
                return 0;
            }
            return device_range(call, "copy source", (uintptr_t) op->src, op->count);
        case OP_COPY_DTOD:
            return device_range(call, "copy destination", (uintptr_t) op->dst, op->count)
                    && device_range(call, "copy source", (uintptr_t) op->src, op->count);
        case OP_FILL8: return device_range(call, "fill destination", (uintptr_t) op->dst, op->count);
        case OP_FILL32: return device_range(call, "fill destination", (uintptr_t) op->dst, 4 * op->count);
        case OP_GEMM: return gemm_ranges_live(call, op);
    }
    return 0;
}

CUresult cuGraphLaunch(handle exec, handle stream) {
    if (!exec || !stream) return ERR_INVALID_HANDLE;
    if (((Stream*) stream)->capturing) {
        fprintf(stderr, "fake cuda: cuGraphLaunch into a capturing stream (a child graph) is not emulated\n");
        return ERR_STREAM_CAPTURE_UNSUPPORTED;
    }
    Graph* g = exec;
    // All nodes are checked before any runs, so that a stale graph changes nothing.
    for (int i = 0; i < g->count; i++) {
        if (!node_memory_live(i, &g->ops[i])) return ERR_ILLEGAL_ADDRESS;
    }
    for (int i = 0; i < g->count; i++) {
        CUresult r = run(&g->ops[i]);
        if (r != OK) return r;
    }
    counts[1]++;
    counts[2] += g->count;
    return OK;
}

/** For tests: captures ended, graph launches, nodes those launches ran, kernel nodes updated. */
void fake_cuda_graph_counts(long long out[4]) {
    memcpy(out, counts, sizeof counts);
}

/** Runs `op` now, or appends it to the capture; an invalidated capture takes nothing more. */
static CUresult submit(Stream* s, Op op) {
    if (!s) return ERR_INVALID_HANDLE;
    if (s->capturing && capture_status == CAPTURE_INVALIDATED) return ERR_STREAM_CAPTURE_INVALIDATED;
    return record(s, op) ? OK : run(&op);
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, handle stream) {
    if (!stream) return ERR_INVALID_HANDLE;
    // A captured copy reads its source when the graph runs: only pinned memory can be meant.
    if (((Stream*) stream)->capturing && !is_pinned((uintptr_t) src, n)
            && refused_while_capturing("cuMemcpyHtoDAsync from pageable memory")) {
        return ERR_STREAM_CAPTURE_UNSUPPORTED;
    }
    if (!device_range("cuMemcpyHtoDAsync", "destination", dst, n)) return ERR_INVALID_VALUE;
    return submit(stream, (Op) {.kind = OP_COPY_HTOD, .dst = (void*) (uintptr_t) dst, .src = src, .count = n});
}
CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, handle stream) {
    if (!stream) return ERR_INVALID_HANDLE;
    if (((Stream*) stream)->capturing && !is_pinned((uintptr_t) dst, n)
            && refused_while_capturing("cuMemcpyDtoHAsync to pageable memory")) {
        return ERR_STREAM_CAPTURE_UNSUPPORTED;
    }
    if (!device_range("cuMemcpyDtoHAsync", "source", src, n)) return ERR_INVALID_VALUE;
    return submit(stream, (Op) {.kind = OP_COPY_DTOH, .dst = dst, .src = (const void*) (uintptr_t) src, .count = n});
}
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, handle stream) {
    if (!device_range("cuMemcpyDtoDAsync", "destination", dst, n) || !device_range("cuMemcpyDtoDAsync", "source", src, n)) {
        return ERR_INVALID_VALUE;
    }
    return submit(stream, (Op) {.kind = OP_COPY_DTOD, .dst = (void*) (uintptr_t) dst, .src = (const void*) (uintptr_t) src,
                                .count = n});
}
CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char value, size_t n, handle stream) {
    if (!device_range("cuMemsetD8Async", "destination", dst, n)) return ERR_INVALID_VALUE;
    return submit(stream, (Op) {.kind = OP_FILL8, .dst = (void*) (uintptr_t) dst, .value = value, .count = n});
}
CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t n, handle stream) {
    if (!device_range("cuMemsetD32Async", "destination", dst, 4 * n)) return ERR_INVALID_VALUE;
    return submit(stream, (Op) {.kind = OP_FILL32, .dst = (void*) (uintptr_t) dst, .value = value, .count = n});
}

// ---- events: host clock ----

typedef struct { double ms; int recorded; int timing; } Event;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

CUresult cuEventCreate(handle* event, unsigned int flags) {
    if (flags != 0 && flags != 2) return ERR_INVALID_VALUE;
    Event* e = calloc(1, sizeof(Event));
    e->timing = flags == 0;
    *event = e;
    return OK;
}
CUresult cuEventDestroy_v2(handle event) { if (!event) return ERR_INVALID_HANDLE; free(event); return OK; }
CUresult cuEventRecord(handle event, handle stream) {
    if (!event || !stream) return ERR_INVALID_HANDLE;
    ((Event*) event)->ms = now_ms();
    ((Event*) event)->recorded = 1;
    return OK;
}
CUresult cuEventSynchronize(handle event) { return event && ((Event*) event)->recorded ? OK : ERR_INVALID_HANDLE; }
CUresult cuEventQuery(handle event) { return event ? OK : ERR_INVALID_HANDLE; }
CUresult cuEventElapsedTime_v2(float* ms, handle start, handle end) {
    Event* s = start;
    Event* e = end;
    if (!s || !e || !s->recorded || !e->recorded || !s->timing || !e->timing) return ERR_INVALID_HANDLE;
    *ms = (float) (e->ms - s->ms);
    return OK;
}

// ---- kernels: C versions of bindings_test_kernels.cu; threads = blocks * threads per block ----

static void args_probe(unsigned blocks, unsigned threads, unsigned unused1, unsigned unused2, void** p) {
    float* out = *(float**) p[0];
    const float* x = *(const float**) p[1];
    float a = *(float*) p[2];
    int n = *(int*) p[3];
    double d = *(double*) p[4];
    long long l = *(long long*) p[5];
    for (long i = 0; i < (long) blocks * threads && i < n; i++) out[i] = a * x[i] + (float) d + (float) l;
}

static void add_one(unsigned blocks, unsigned threads, unsigned unused1, unsigned unused2, void** p) {
    float* y = *(float**) p[0];
    int n = *(int*) p[1];
    for (long i = 0; i < (long) blocks * threads && i < n; i++) y[i] += 1.0f;
}

static void shared_sum(unsigned blocks, unsigned threads, unsigned unused1, unsigned unused2, void** p) {
    float* out = *(float**) p[0];
    const float* x = *(const float**) p[1];
    int n = *(int*) p[2];
    double sum = 0;
    for (int i = 0; i < n; i++) sum += x[i];
    out[0] = (float) sum;
}

// The kernel cache test's one-line kernel: y[0] = 1.
static void cached(unsigned blocks, unsigned threads, unsigned unused1, unsigned unused2, void** p) {
    (*(float**) p[0])[0] = 1.0f;
}

static Kernel kernels[] = {
    {"args_probe", args_probe, 6, {8, 8, 4, 4, 8, 8}, 48 * 1024},
    {"add_one", add_one, 2, {8, 4}, 48 * 1024},
    {"shared_sum", shared_sum, 3, {8, 8, 4}, 48 * 1024},
    {"cached", cached, 1, {8}, 48 * 1024},
};

// An emulated module's "image": this marker, the library's path, a NUL (after a fake CUBIN's ELF magic).
static const char EMULATED[] = "longlm-emulated-module\n";

typedef struct {
    void* library;  // libemukernels.so, or 0 for the built-in kernels
    Kernel** functions;
    int function_count;
} Module;

CUresult cuModuleLoadData(handle* module, const void* image) {
    const unsigned char* bytes = image;
    int cubin = bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F';
    int ptx = strncmp(image, "//", 2) == 0;
    if (!cubin && !ptx) return ERR_INVALID_IMAGE;
    Module* m = calloc(1, sizeof(Module));
    const char* marker = strstr((const char*) image + (cubin ? 4 : 2), EMULATED);
    if (marker) {
        m->library = dlopen(marker + strlen(EMULATED), RTLD_NOW | RTLD_LOCAL);
        if (!m->library) {
            fprintf(stderr, "fake cuda: cuModuleLoadData: %s\n", dlerror());
            free(m);
            return ERR_INVALID_IMAGE;
        }
    }
    *module = m;
    return OK;
}
CUresult cuModuleUnload(handle module) {
    Module* m = module;
    if (!m) return ERR_INVALID_HANDLE;
    for (int i = 0; i < m->function_count; i++) {
        free((char*) m->functions[i]->name);
        free(m->functions[i]);
    }
    free(m->functions);
    if (m->library) dlclose(m->library);
    free(m);
    return OK;
}

/** The emulated kernel `name` of `m`'s library (found through its generated wrapper), or 0. */
static Kernel* emulated_function(Module* m, const char* name) {
    for (int i = 0; i < m->function_count; i++) {
        if (strcmp(m->functions[i]->name, name) == 0) return m->functions[i];
    }
    char symbol[256];
    snprintf(symbol, sizeof symbol, "longlm_emu_launch_%s", name);
    EmuLaunch launch = (EmuLaunch) dlsym(m->library, symbol);
    snprintf(symbol, sizeof symbol, "longlm_emu_params_%s", name);
    EmuParamsFn params = (EmuParamsFn) dlsym(m->library, symbol);
    if (!launch || !params) return 0;
    const EmuParams* p = params();
    Kernel* k = calloc(1, sizeof(Kernel));
    k->name = strdup(name);
    k->emu = launch;
    k->count = p->count;
    memcpy(k->sizes, p->sizes, sizeof k->sizes);
    k->kinds = p->kinds;
    k->max_dynamic_shared = 48 * 1024;
    m->functions = realloc(m->functions, sizeof(Kernel*) * (size_t) (m->function_count + 1));
    m->functions[m->function_count++] = k;
    return k;
}

CUresult cuModuleGetFunction(handle* function, handle module, const char* name) {
    Module* m = module;
    if (!m) return ERR_INVALID_HANDLE;
    if (m->library) {
        Kernel* k = emulated_function(m, name);
        if (!k) return ERR_NOT_FOUND;
        *function = k;
        return OK;
    }
    for (unsigned i = 0; i < sizeof kernels / sizeof kernels[0]; i++) {
        if (strcmp(kernels[i].name, name) == 0) {
            *function = &kernels[i];
            return OK;
        }
    }
    return ERR_NOT_FOUND;
}
CUresult cuFuncSetAttribute(handle function, int attribute, int value) {
    if (!function || attribute != 8 || value < 0 || value > 232448) return ERR_INVALID_VALUE;
    ((Kernel*) function)->max_dynamic_shared = value;
    return OK;
}
CUresult cuFuncGetAttribute(int* value, int attribute, handle function) {
    if (!function) return ERR_INVALID_HANDLE;
    switch (attribute) {
        case 8: *value = ((Kernel*) function)->max_dynamic_shared; return OK;
        case 4: *value = 32; return OK;    // registers
        case 0: *value = 1024; return OK;  // threads per block
        default: return ERR_INVALID_VALUE;
    }
}
CUresult cuFuncGetParamInfo(handle function, size_t index, size_t* offset, size_t* size) {
    Kernel* k = function;
    if (!k || index >= (size_t) k->count) return ERR_INVALID_VALUE;
    size_t at = 0;
    for (size_t i = 0; i <= index; i++) {
        size_t bytes = (size_t) k->sizes[i];
        at = round_up(at, bytes);  // each parameter at its natural alignment, as in the CUDA ABI
        if (i < index) at += bytes;
    }
    *offset = at;
    if (size) *size = (size_t) k->sizes[index];
    return OK;
}
CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, handle function, int block_size, size_t shared) {
    if (!function || block_size <= 0 || block_size > 1024) return ERR_INVALID_VALUE;
    *blocks = 2048 / block_size;
    return OK;
}

CUresult cuLaunchKernel(handle function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                        unsigned shared, handle stream, void** params, void** extra) {
    Kernel* k = function;
    if (!k || !stream || extra) return ERR_INVALID_HANDLE;
    if (!launch_shape_valid(k, gx, gy, gz, bx, by, bz, shared)) return ERR_INVALID_VALUE;
    Op op = {.kind = OP_LAUNCH, .kernel = k, .grid = {gx, gy, gz}, .block = {bx, by, bz}, .shared = shared};
    // Copy the values at launch, as the driver does: the caller reuses its argument buffer at once.
    for (int i = 0; i < k->count; i++) memcpy(op.params[i], params[i], (size_t) k->sizes[i]);
    if (!pointers_live("cuLaunchKernel", k, op.params)) return ERR_ILLEGAL_ADDRESS;
    return submit(stream, op);
}

// ---- cuBLAS ----

typedef struct { handle stream; int math; void* workspace; size_t workspace_bytes; } Cublas;

int cublasCreate_v2(handle* h) {
    if (!current) return 1;  // cuBLAS needs a current context
    *h = calloc(1, sizeof(Cublas));
    return 0;
}
int cublasDestroy_v2(handle h) { if (!h) return 1; free(h); return 0; }
int cublasGetVersion_v2(handle h, int* version) { if (!h) return 1; *version = 130100; return 0; }
int cublasSetStream_v2(handle h, handle stream) { if (!h) return 1; ((Cublas*) h)->stream = stream; return 0; }
int cublasSetMathMode(handle h, int mode) { if (!h || (mode != 0 && mode != 2 && mode != 3)) return 7; ((Cublas*) h)->math = mode; return 0; }
int cublasSetWorkspace_v2(handle h, void* workspace, size_t bytes) {
    if (!h) return 1;
    ((Cublas*) h)->workspace = workspace;
    ((Cublas*) h)->workspace_bytes = bytes;
    return 0;
}
const char* cublasGetStatusName(int status) {
    switch (status) {
        case 0: return "CUBLAS_STATUS_SUCCESS";
        case 7: return "CUBLAS_STATUS_INVALID_VALUE";
        case 13: return "CUBLAS_STATUS_EXECUTION_FAILED";
        case 15: return "CUBLAS_STATUS_NOT_SUPPORTED";
        default: return "CUBLAS_STATUS_UNKNOWN";
    }
}

static float load(const void* m, int type, long i) {
    if (type == 0) return ((const float*) m)[i];
    if (type == 2) return (float) ((const _Float16*) m)[i];
    uint32_t bits = (uint32_t) ((const uint16_t*) m)[i] << 16;  // 14: bfloat16
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static void store(void* m, int type, long i, float v) {
    if (type == 0) { ((float*) m)[i] = v; return; }
    if (type == 2) { ((_Float16*) m)[i] = (_Float16) v; return; }
    uint32_t bits;
    memcpy(&bits, &v, 4);
    bits += 0x7fff + ((bits >> 16) & 1);  // round to nearest even
    ((uint16_t*) m)[i] = (uint16_t) (bits >> 16);
}

enum { G_TA, G_TB, G_M, G_N, G_K, G_ATYPE, G_LDA, G_BTYPE, G_LDB, G_CTYPE, G_LDC, G_COMPUTE };

static void run_gemm(const Op* op) {
    const int* g = op->gemm;
    int m = g[G_M], n = g[G_N], k = g[G_K];
    // op(A) row by row and op(B) column by column, widened once, so the dot products run over contiguous floats.
    float* a = malloc(sizeof(float) * (size_t) m * (size_t) k);
    float* b = malloc(sizeof(float) * (size_t) n * (size_t) k);
    for (int i = 0; i < m; i++) {
        for (int p = 0; p < k; p++) {
            a[(size_t) i * k + p] = load(op->a, g[G_ATYPE], g[G_TA] ? p + (long) i * g[G_LDA] : i + (long) p * g[G_LDA]);
        }
    }
    for (int j = 0; j < n; j++) {
        for (int p = 0; p < k; p++) {
            b[(size_t) j * k + p] = load(op->b, g[G_BTYPE], g[G_TB] ? j + (long) p * g[G_LDB] : p + (long) j * g[G_LDB]);
        }
    }
    for (int j = 0; j < n; j++) {
        const float* bj = b + (size_t) j * k;
        for (int i = 0; i < m; i++) {
            const float* ai = a + (size_t) i * k;
            double sum = 0;
            for (int p = 0; p < k; p++) sum += (double) ai[p] * bj[p];
            long at = i + (long) j * g[G_LDC];
            float prior = op->beta == 0 ? 0 : load(op->c, g[G_CTYPE], at);
            store(op->c, g[G_CTYPE], at, op->alpha * (float) sum + op->beta * prior);
        }
    }
    free(a);
    free(b);
}

/** Whether a GEMM's column-major operands lie in live device memory (checked at the call and whenever a graph replays it). */
static int gemm_ranges_live(const char* call, const Op* op) {
    const int* g = op->gemm;
    int m = g[G_M], n = g[G_N], k = g[G_K], transa = g[G_TA], transb = g[G_TB];
    if (m <= 0 || n <= 0 || k <= 0) return 1;
    // The last column starts (columns - 1) · ld elements in and holds `rows` of them.
    size_t in = g[G_ATYPE] == 0 ? 4 : 2, out = g[G_CTYPE] == 0 ? 4 : 2;
    size_t a_extent = ((size_t) ((transa ? m : k) - 1) * (size_t) g[G_LDA] + (size_t) (transa ? k : m)) * in;
    size_t b_extent = ((size_t) ((transb ? k : n) - 1) * (size_t) g[G_LDB] + (size_t) (transb ? n : k)) * in;
    size_t c_extent = ((size_t) (n - 1) * (size_t) g[G_LDC] + (size_t) m) * out;
    return device_range(call, "A", (uintptr_t) op->a, a_extent) && device_range(call, "B", (uintptr_t) op->b, b_extent)
            && device_range(call, "C", (uintptr_t) op->c, c_extent);
}

int cublasGemmEx(handle h, int transa, int transb, int m, int n, int k, const void* alpha, const void* A, int atype,
                 int lda, const void* B, int btype, int ldb, const void* beta, void* C, int ctype, int ldc,
                 int compute, int algo) {
    Cublas* blas = h;
    if (!blas || !blas->stream) return 1;
    if (compute != 68 || algo != -1 || transa < 0 || transa > 1 || transb < 0 || transb > 1) return 7;
    if (atype != btype || (atype != 0 && atype != 2 && atype != 14) || (ctype != 0 && ctype != atype)) return 15;
    if (lda < (transa ? k : m) || ldb < (transb ? n : k) || ldc < m) return 7;
    Op op = {.kind = OP_GEMM, .gemm = {transa, transb, m, n, k, atype, lda, btype, ldb, ctype, ldc, compute},
             .alpha = *(const float*) alpha, .beta = *(const float*) beta, .a = A, .b = B, .c = C};
    if (!gemm_ranges_live("cublasGemmEx", &op)) return 7;
    // On a capturing stream the product becomes a node (cuBLAS queues kernels there), with alpha and beta as they are now.
    return submit(blas->stream, op) == OK ? 0 : 13;  // CUBLAS_STATUS_EXECUTION_FAILED
}

// ---- NVRTC: "compiles" to a recognizable image; "#error" in a source fails like a compile error ----

typedef struct { char* source; char* name; char log[256]; unsigned char image[4200]; size_t image_size; int cubin; } Program;

/**
 * Whether `source` is the unit the emulated kernel library next to this one was built from; if so,
 * writes that library's path (at most `room` bytes) to `library`.
 */
static int emulated_unit(const char* source, char* library, size_t room) {
    Dl_info self;
    if (!dladdr((void*) emulated_unit, &self) || !self.dli_fname) return 0;
    const char* slash = strrchr(self.dli_fname, '/');
    int folder = slash ? (int) (slash - self.dli_fname) : 1;
    const char* dir = slash ? self.dli_fname : ".";
    char unit_path[4096];
    snprintf(unit_path, sizeof unit_path, "%.*s/libemukernels.unit.cu", folder, dir);
    FILE* f = fopen(unit_path, "rb");
    if (!f) return 0;
    size_t length = strlen(source);
    int same = 1;
    char buffer[65536];
    size_t at = 0;
    for (size_t got; same && (got = fread(buffer, 1, sizeof buffer, f)) > 0; at += got) {
        same = at + got <= length && memcmp(buffer, source + at, got) == 0;
    }
    fclose(f);
    if (!same || at != length) return 0;
    return snprintf(library, room, "%.*s/libemukernels.so", folder, dir) < (int) room;
}

int nvrtcVersion(int* major, int* minor) { *major = 13; *minor = 0; return 0; }
int nvrtcGetNumSupportedArchs(int* count) { *count = 5; return 0; }
int nvrtcGetSupportedArchs(int* archs) { int a[] = {75, 80, 86, 89, 90}; memcpy(archs, a, sizeof a); return 0; }
const char* nvrtcGetErrorString(int result) {
    switch (result) {
        case 0: return "NVRTC_SUCCESS";
        case 5: return "NVRTC_ERROR_INVALID_OPTION";
        case 6: return "NVRTC_ERROR_COMPILATION";
        default: return "NVRTC_ERROR_INVALID_INPUT";
    }
}

int nvrtcCreateProgram(handle* prog, const char* source, const char* name, int headers, const char* const* h,
                       const char* const* names) {
    if (!source || headers != 0 || h || names) return 3;
    Program* p = calloc(1, sizeof(Program));
    p->source = strdup(source);
    p->name = strdup(name ? name : "default_program");
    *prog = p;
    return 0;
}
int nvrtcDestroyProgram(handle* prog) {
    Program* p = *prog;
    free(p->source);
    free(p->name);
    free(p);
    *prog = 0;
    return 0;
}
int nvrtcCompileProgram(handle prog, int count, const char* const* options) {
    Program* p = prog;
    const char* arch = 0;
    for (int i = 0; i < count; i++) {
        if (strncmp(options[i], "--gpu-architecture=", 19) == 0) arch = options[i] + 19;
        else if (strncmp(options[i], "--std=", 6) != 0 && strncmp(options[i], "-D", 2) != 0) {
            strcpy(p->log, "nvrtc: error: unrecognized option");
            return 5;
        }
    }
    if (!arch) return 5;
    char* error = strstr(p->source, "#error");
    if (error) {
        strcpy(p->log, p->name);
        strcat(p->log, "(1): error: #error directive: ");
        strncat(p->log, error + 7, 64);
        return 6;
    }
    p->cubin = strncmp(arch, "sm_", 3) == 0;
    char library[4096];
    if (emulated_unit(p->source, library, sizeof library)) {
        int n = snprintf((char*) p->image, sizeof p->image, "%s%s%s", p->cubin ? "\x7f" "ELF " : "// ", EMULATED, library);
        p->image_size = (size_t) n + 1;  // with the NUL that ends the path
    } else if (p->cubin) {
        memcpy(p->image, "\x7f" "ELF fake cubin", 15);
        p->image_size = 15;
    } else {
        memcpy(p->image, "// fake ptx\0", 12);
        p->image_size = 12;
    }
    return 0;
}
int nvrtcGetProgramLogSize(handle prog, size_t* size) { *size = strlen(((Program*) prog)->log) + 1; return 0; }
int nvrtcGetProgramLog(handle prog, char* log) { strcpy(log, ((Program*) prog)->log); return 0; }
int nvrtcGetCUBINSize(handle prog, size_t* size) { Program* p = prog; if (!p->cubin) return 3; *size = p->image_size; return 0; }
int nvrtcGetCUBIN(handle prog, char* out) { Program* p = prog; memcpy(out, p->image, p->image_size); return 0; }
int nvrtcGetPTXSize(handle prog, size_t* size) { Program* p = prog; if (p->cubin) return 3; *size = p->image_size; return 0; }
int nvrtcGetPTX(handle prog, char* out) { Program* p = prog; memcpy(out, p->image, p->image_size); return 0; }
