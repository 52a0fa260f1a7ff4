// Scores a token sequence with libllama and writes, for every position but the last, the
// log-probability of the next token and the top-5 log-probabilities, for the architecture golden
// fixtures of longlm4j (src/test/resources/golden/arch/).
//   arch_logprobs MODEL.gguf TOKENS.txt N_CTX OUT.txt
// TOKENS.txt holds whitespace-separated token ids, fed as one batch without BOS. The KV cache is
// kept in F32 and flash attention off, so only the weights' quantization separates llama.cpp's
// arithmetic from an F32 reference.
#include <llama.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define TOP 5
#define MAX_TOKENS 4096

static void quiet(enum ggml_log_level level, const char * text, void * user) {
    (void) user;
    if (level >= GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

int main(int argc, char ** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s MODEL.gguf TOKENS.txt N_CTX OUT.txt\n", argv[0]);
        return 2;
    }
    static llama_token tokens[MAX_TOKENS];
    int n = 0;
    FILE * in = fopen(argv[2], "r");
    if (!in) { perror(argv[2]); return 1; }
    while (n < MAX_TOKENS && fscanf(in, "%d", &tokens[n]) == 1) n++;
    fclose(in);

    llama_log_set(quiet, NULL);
    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model * model = llama_model_load_from_file(argv[1], mp);
    if (!model) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t) atoi(argv[3]);
    cp.n_batch = cp.n_ubatch = (uint32_t) n;
    cp.n_threads = cp.n_threads_batch = 2;
    cp.type_k = GGML_TYPE_F32;
    cp.type_v = GGML_TYPE_F32;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    struct llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) { fprintf(stderr, "cannot create a context\n"); return 1; }

    struct llama_batch batch = llama_batch_init(n, 0, 1);
    for (int i = 0; i < n; i++) {
        batch.token[i] = tokens[i];
        batch.pos[i] = i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = 1;
    }
    batch.n_tokens = n;
    if (llama_decode(ctx, batch) != 0) { fprintf(stderr, "decode failed\n"); return 1; }

    int vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    FILE * out = fopen(argv[4], "w");
    if (!out) { perror(argv[4]); return 1; }
    fprintf(out, "# position next_token logprob(next) then top-%d id:logprob\n", TOP);
    for (int i = 0; i + 1 < n; i++) {
        const float * logits = llama_get_logits_ith(ctx, i);
        double max = -INFINITY, sum = 0;
        for (int t = 0; t < vocab; t++) if (logits[t] > max) max = logits[t];
        for (int t = 0; t < vocab; t++) sum += exp(logits[t] - max);
        double lse = max + log(sum);
        int top[TOP];
        for (int k = 0; k < TOP; k++) {
            top[k] = -1;
            for (int t = 0; t < vocab; t++) {
                int taken = 0;
                for (int m = 0; m < k; m++) taken |= top[m] == t;
                if (!taken && (top[k] < 0 || logits[t] > logits[top[k]])) top[k] = t;
            }
        }
        fprintf(out, "%d %d %.6f", i, tokens[i + 1], logits[tokens[i + 1]] - lse);
        for (int k = 0; k < TOP; k++) fprintf(out, " %d:%.6f", top[k], logits[top[k]] - lse);
        fputc('\n', out);
    }
    fclose(out);
    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
