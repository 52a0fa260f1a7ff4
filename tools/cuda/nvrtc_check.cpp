// Compiles the kernel sources the way the Java backend does: kernels.list concatenated into one
// unit, handed to NVRTC (loaded with dlopen, so no CUDA headers or GPU are needed) with the options
// the kernels README prescribes. Prints NVRTC's log, writes the PTX if asked, exits 1 on failure.
//
//   g++ -O1 -o nvrtc_check tools/cuda/nvrtc_check.cpp -ldl
//   ./nvrtc_check <kernels folder> [compute_90] [out.ptx]
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

typedef int (*CreateProgram)(void**, const char*, const char*, int, const char* const*, const char* const*);
typedef int (*CompileProgram)(void*, int, const char* const*);
typedef int (*GetSize)(void*, size_t*);
typedef int (*GetText)(void*, char*);
typedef int (*Version)(int*, int*);
typedef const char* (*ErrorString)(int);

static void* symbol(void* lib, const char* name) {
    void* f = dlsym(lib, name);
    if (f == nullptr) {
        std::fprintf(stderr, "libnvrtc has no %s\n", name);
        std::exit(2);
    }
    return f;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: nvrtc_check <kernels folder> [compute_XY] [out.ptx]\n");
        return 2;
    }
    std::string dir = argv[1];
    std::string arch = argc > 2 ? argv[2] : "compute_90";
    void* lib = nullptr;
    const char* env = std::getenv("NVRTC_LIBRARY");
    std::vector<std::string> names = {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2",
                                      "/usr/local/cuda/lib64/libnvrtc.so", "/usr/local/cuda/lib64/libnvrtc.so.13",
                                      "/usr/local/cuda/lib64/libnvrtc.so.12"};
    if (env != nullptr) names.insert(names.begin(), env);
    for (const auto& n : names) {
        if ((lib = dlopen(n.c_str(), RTLD_NOW)) != nullptr) break;
    }
    if (lib == nullptr) {
        std::fprintf(stderr, "nvrtc_check: libnvrtc not found (set NVRTC_LIBRARY)\n");
        return 3;
    }
    int major = 0, minor = 0;
    ((Version) symbol(lib, "nvrtcVersion"))(&major, &minor);

    std::ifstream list(dir + "/kernels.list");
    if (!list) {
        std::fprintf(stderr, "cannot read %s/kernels.list\n", dir.c_str());
        return 2;
    }
    std::ostringstream source;
    std::string file;
    while (std::getline(list, file)) {
        if (file.empty() || file[0] == '#') continue;
        std::ifstream in(dir + "/" + file);
        if (!in) {
            std::fprintf(stderr, "cannot read %s/%s\n", dir.c_str(), file.c_str());
            return 2;
        }
        source << in.rdbuf() << "\n";
    }
    std::string text = source.str();
    void* program = nullptr;
    ErrorString error = (ErrorString) symbol(lib, "nvrtcGetErrorString");
    int rc = ((CreateProgram) symbol(lib, "nvrtcCreateProgram"))(&program, text.c_str(), "longlm_kernels.cu", 0, nullptr, nullptr);
    if (rc != 0) {
        std::fprintf(stderr, "nvrtcCreateProgram: %s\n", error(rc));
        return 1;
    }
    std::string archOption = "--gpu-architecture=" + arch;
    const char* options[] = {archOption.c_str(), "-std=c++17"};
    rc = ((CompileProgram) symbol(lib, "nvrtcCompileProgram"))(program, 2, options);
    size_t logSize = 0;
    ((GetSize) symbol(lib, "nvrtcGetProgramLogSize"))(program, &logSize);
    std::string log(logSize, '\0');
    ((GetText) symbol(lib, "nvrtcGetProgramLog"))(program, &log[0]);
    if (logSize > 1) std::fprintf(stderr, "%s\n", log.c_str());
    if (rc != 0) {
        std::fprintf(stderr, "NVRTC %d.%d (%s): compilation failed: %s\n", major, minor, arch.c_str(), error(rc));
        return 1;
    }
    size_t ptxSize = 0;
    ((GetSize) symbol(lib, "nvrtcGetPTXSize"))(program, &ptxSize);
    std::string ptx(ptxSize, '\0');
    ((GetText) symbol(lib, "nvrtcGetPTX"))(program, &ptx[0]);
    if (argc > 3) {
        std::ofstream(argv[3], std::ios::binary).write(ptx.data(), (std::streamsize) ptx.size() - 1);
    }
    size_t entries = 0;
    for (size_t at = ptx.find(".entry"); at != std::string::npos; at = ptx.find(".entry", at + 1)) entries++;
    std::printf("NVRTC %d.%d (%s): %zu bytes of source, %zu kernels, %zu bytes of PTX\n", major, minor, arch.c_str(), text.size(),
                entries, ptxSize);
    return 0;
}
