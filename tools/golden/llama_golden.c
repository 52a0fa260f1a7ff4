/*
 * llama_golden.c - produce golden fixtures from llama.cpp (the reference implementation)
 * for the longlm4j Java tests.
 *
 * Built against llama.cpp 0.5.0 (commit de3ff81), include/llama.h; links libllama.
 * See tools/golden/README.md and tools/golden/make-fixtures.sh.
 *
 * Subcommands:
 *   score  MODEL TOKENS_FILE TOPK OUT.json [--dump-logits LOGITS.json]
 *       TOKENS_FILE: whitespace-separated token ids, used as is (no BOS added).
 *       One llama_decode of all tokens (1 sequence, positions 0..n-1), logits for every position.
 *       tokens[i].logprob = log_softmax(logits[i-1])[id_i] (null for i = 0);
 *       tokens[i].top_logprobs = the TOPK best of log_softmax(logits[i-1]) (empty for i = 0).
 *       Log-softmax is computed in double precision from llama.cpp's float logits.
 *       --dump-logits FILE writes llama.cpp's float logits of the LAST position (n_vocab values):
 *       a JSON array when FILE ends in .json, else raw little-endian float32 (4 * n_vocab bytes).
 *   greedy MODEL PROMPT_TEXT N OUT.json
 *       llama_tokenize(add_special = model's add_bos, parse_special = false), decode the prompt,
 *       then N greedy (argmax) steps; stops early only when the argmax token is end-of-generation.
 *
 * Threads: 2.  Flash attention: disabled (deterministic, plain softmax path).
 */
#include "llama.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_THREADS 2

static void quiet_log(enum ggml_log_level level, const char * text, void * user) {
    (void) user;
    if (level == GGML_LOG_LEVEL_ERROR || level == GGML_LOG_LEVEL_WARN) {
        fputs(text, stderr);
    }
}

static void die(const char * msg) {
    fprintf(stderr, "llama_golden: %s\n", msg);
    exit(1);
}

static const char * base_name(const char * path) {
    const char * s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* JSON string escaping (UTF-8 passed through, control characters escaped). */
static void json_str(FILE * f, const char * s, size_t n) {
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char) s[i];
        switch (c) {
            case '"':  fputs("\\\"", f); break;
            case '\\': fputs("\\\\", f); break;
            case '\n': fputs("\\n", f); break;
            case '\r': fputs("\\r", f); break;
            case '\t': fputs("\\t", f); break;
            case '\b': fputs("\\b", f); break;
            case '\f': fputs("\\f", f); break;
            default:
                if (c < 0x20) {
                    fprintf(f, "\\u%04x", c);
                } else {
                    fputc(c, f);
                }
        }
    }
    fputc('"', f);
}

static struct llama_model * load_model(const char * path) {
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model * model = llama_model_load_from_file(path, mp);
    if (!model) die("failed to load model");
    return model;
}

static struct llama_context * make_ctx(struct llama_model * model, int n_ctx, int n_batch) {
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_batch = n_batch;
    cp.n_ubatch = n_batch;
    cp.n_seq_max = 1;
    cp.n_threads = N_THREADS;
    cp.n_threads_batch = N_THREADS;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    /* An F32 KV cache: with llama.cpp's default F16 cache, ggml also rounds Q and the softmax
     * probabilities to F16 in the attention products, which moves low-probability log-probs by up
     * to ~1e-2. F32 keeps the reference at the precision of the weights. */
    cp.type_k = GGML_TYPE_F32;
    cp.type_v = GGML_TYPE_F32;
    cp.no_perf = true;
    struct llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) die("failed to create context");
    return ctx;
}

/* log-softmax in double; out must hold n doubles */
static void log_softmax(const float * logits, int n, double * out) {
    double mx = -INFINITY;
    for (int i = 0; i < n; i++) if (logits[i] > mx) mx = logits[i];
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += exp((double) logits[i] - mx);
    double lse = mx + log(sum);
    for (int i = 0; i < n; i++) out[i] = (double) logits[i] - lse;
}

/* indices of the k largest values, descending; ties broken by lower id */
static void top_k(const double * v, int n, int k, int * idx) {
    for (int j = 0; j < k; j++) idx[j] = -1;
    for (int i = 0; i < n; i++) {
        int pos = k;
        while (pos > 0 && (idx[pos - 1] < 0 || v[i] > v[idx[pos - 1]])) pos--;
        if (pos < k) {
            for (int j = k - 1; j > pos; j--) idx[j] = idx[j - 1];
            idx[pos] = i;
        }
    }
}

static int argmax(const float * v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) if (v[i] > v[best]) best = i;
    return best;
}

static int cmd_score(int argc, char ** argv) {
    if (argc < 6) die("usage: score MODEL TOKENS_FILE TOPK OUT.json [--dump-logits LOGITS.json]");
    const char * model_path = argv[2];
    const char * tok_path = argv[3];
    int topk = atoi(argv[4]);
    const char * out_path = argv[5];
    const char * logits_path = NULL;
    for (int i = 6; i < argc; i++) {
        if (strcmp(argv[i], "--dump-logits") == 0 && i + 1 < argc) {
            logits_path = argv[++i];
        } else {
            die("unknown option");
        }
    }

    FILE * tf = fopen(tok_path, "r");
    if (!tf) die("cannot open tokens file");
    int cap = 1024, n = 0;
    llama_token * toks = malloc(sizeof(llama_token) * cap);
    long v;
    while (fscanf(tf, "%ld", &v) == 1) {
        if (n == cap) { cap *= 2; toks = realloc(toks, sizeof(llama_token) * cap); }
        toks[n++] = (llama_token) v;
    }
    fclose(tf);
    if (n == 0) die("no tokens");

    struct llama_model * model = load_model(model_path);
    const struct llama_vocab * vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);
    if (topk > n_vocab) topk = n_vocab;
    for (int i = 0; i < n; i++) {
        if (toks[i] < 0 || toks[i] >= n_vocab) die("token id out of range");
    }

    int n_ctx = n < 256 ? 256 : n;
    struct llama_context * ctx = make_ctx(model, n_ctx, n);

    struct llama_batch batch = llama_batch_init(n, 0, 1);
    for (int i = 0; i < n; i++) {
        batch.token[i] = toks[i];
        batch.pos[i] = i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = 1;
    }
    batch.n_tokens = n;
    if (llama_decode(ctx, batch) != 0) die("llama_decode failed");

    FILE * f = fopen(out_path, "w");
    if (!f) die("cannot open output");
    double * ls = malloc(sizeof(double) * n_vocab);
    int * idx = malloc(sizeof(int) * (topk > 0 ? topk : 1));
    double nll = 0.0;
    fprintf(f, "{\"model\": ");
    json_str(f, base_name(model_path), strlen(base_name(model_path)));
    fprintf(f, ", \"n_tokens\": %d, \"tokens\": [\n", n);
    for (int i = 0; i < n; i++) {
        if (i == 0) {
            fprintf(f, "  {\"id\": %d, \"logprob\": null, \"top_logprobs\": []}", toks[0]);
        } else {
            const float * lg = llama_get_logits_ith(ctx, i - 1);
            if (!lg) die("no logits");
            log_softmax(lg, n_vocab, ls);
            nll -= ls[toks[i]];
            fprintf(f, ",\n  {\"id\": %d, \"logprob\": %.9g, \"top_logprobs\": [", toks[i], ls[toks[i]]);
            top_k(ls, n_vocab, topk, idx);
            for (int j = 0; j < topk; j++) {
                fprintf(f, "%s{\"id\": %d, \"logprob\": %.9g}", j ? ", " : "", idx[j], ls[idx[j]]);
            }
            fprintf(f, "]}");
        }
    }
    fprintf(f, "\n]}\n");
    fclose(f);
    if (n > 1) {
        fprintf(stderr, "llama_golden score: %d tokens, mean NLL %.6f, PPL %.4f\n", n, nll / (n - 1), exp(nll / (n - 1)));
    }

    if (logits_path) {
        const float * lg = llama_get_logits_ith(ctx, n - 1);
        size_t lp = strlen(logits_path);
        if (lp >= 5 && strcmp(logits_path + lp - 5, ".json") == 0) {
            FILE * lf = fopen(logits_path, "w");
            if (!lf) die("cannot open logits output");
            fprintf(lf, "[");
            for (int j = 0; j < n_vocab; j++) {
                fprintf(lf, "%s%.9g", j ? (j % 8 == 0 ? ",\n" : ", ") : "", lg[j]);
            }
            fprintf(lf, "]\n");
            fclose(lf);
        } else {
            /* raw little-endian IEEE float32, n_vocab values (x86/arm64 hosts are little-endian) */
            FILE * lf = fopen(logits_path, "wb");
            if (!lf) die("cannot open logits output");
            if (fwrite(lg, sizeof(float), n_vocab, lf) != (size_t) n_vocab) die("write failed");
            fclose(lf);
        }
    }

    free(idx);
    free(ls);
    free(toks);
    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}

static int piece(const struct llama_vocab * vocab, llama_token t, char * buf, int cap) {
    int k = llama_token_to_piece(vocab, t, buf, cap, 0, false);
    if (k < 0) die("token_to_piece buffer too small");
    return k;
}

static int cmd_greedy(int argc, char ** argv) {
    if (argc != 6) die("usage: greedy MODEL PROMPT_TEXT N OUT.json");
    const char * model_path = argv[2];
    const char * prompt = argv[3];
    int n_gen = atoi(argv[4]);
    const char * out_path = argv[5];

    struct llama_model * model = load_model(model_path);
    const struct llama_vocab * vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);
    const bool add_bos = llama_vocab_get_add_bos(vocab);

    int plen = (int) strlen(prompt);
    int cap = plen + 8;
    llama_token * ptoks = malloc(sizeof(llama_token) * cap);
    int np = llama_tokenize(vocab, prompt, plen, ptoks, cap, add_bos, false);
    if (np < 0) die("tokenize failed");

    int n_ctx = np + n_gen + 8;
    if (n_ctx < 256) n_ctx = 256;
    struct llama_context * ctx = make_ctx(model, n_ctx, np > 1 ? np : 1);

    struct llama_batch batch = llama_batch_init(np > 1 ? np : 1, 0, 1);
    for (int i = 0; i < np; i++) {
        batch.token[i] = ptoks[i];
        batch.pos[i] = i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = (i == np - 1);
    }
    batch.n_tokens = np;
    if (llama_decode(ctx, batch) != 0) die("llama_decode failed (prompt)");

    llama_token * gen = malloc(sizeof(llama_token) * (n_gen + 1));
    int ng = 0;
    int pos = np;
    const float * lg = llama_get_logits_ith(ctx, -1);
    while (ng < n_gen) {
        llama_token t = argmax(lg, n_vocab);
        gen[ng++] = t;
        if (llama_vocab_is_eog(vocab, t)) break;
        if (ng == n_gen) break;
        batch.token[0] = t;
        batch.pos[0] = pos++;
        batch.n_seq_id[0] = 1;
        batch.seq_id[0][0] = 0;
        batch.logits[0] = 1;
        batch.n_tokens = 1;
        if (llama_decode(ctx, batch) != 0) die("llama_decode failed (gen)");
        lg = llama_get_logits_ith(ctx, -1);
    }

    FILE * f = fopen(out_path, "w");
    if (!f) die("cannot open output");
    fprintf(f, "{\"model\": ");
    json_str(f, base_name(model_path), strlen(base_name(model_path)));
    fprintf(f, ", \"prompt\": ");
    json_str(f, prompt, strlen(prompt));
    fprintf(f, ", \"add_bos\": %s, \"n_predict\": %d,\n \"prompt_tokens\": [", add_bos ? "true" : "false", n_gen);
    for (int i = 0; i < np; i++) fprintf(f, "%s%d", i ? ", " : "", ptoks[i]);
    fprintf(f, "],\n \"tokens\": [");
    for (int i = 0; i < ng; i++) fprintf(f, "%s%d", i ? ", " : "", gen[i]);
    fprintf(f, "],\n \"pieces\": [");
    char buf[512];
    size_t tcap = 4096, tlen = 0;
    char * text = malloc(tcap);
    for (int i = 0; i < ng; i++) {
        int k = piece(vocab, gen[i], buf, sizeof(buf));
        if (i) fprintf(f, ", ");
        json_str(f, buf, k);
        if (tlen + k >= tcap) { tcap = 2 * (tlen + k) + 1; text = realloc(text, tcap); }
        memcpy(text + tlen, buf, k);
        tlen += k;
    }
    fprintf(f, "],\n \"text\": ");
    json_str(f, text, tlen);
    fprintf(f, "}\n");
    fclose(f);
    fprintf(stderr, "llama_golden greedy: %d prompt tokens, %d generated: %.*s\n", np, ng, (int) tlen, text);

    free(text);
    free(gen);
    free(ptoks);
    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}

/* tokenize MODEL TEXT_FILE OUT [--bos] [--max N]: whitespace-separated token ids */
static int cmd_tokenize(int argc, char ** argv) {
    if (argc < 5) die("usage: tokenize MODEL TEXT_FILE OUT [--bos] [--max N]");
    bool bos = false;
    long max = -1;
    for (int i = 5; i < argc; i++) {
        if (strcmp(argv[i], "--bos") == 0) bos = true;
        else if (strcmp(argv[i], "--max") == 0 && i + 1 < argc) max = atol(argv[++i]);
        else die("unknown option");
    }
    FILE * tf = fopen(argv[3], "rb");
    if (!tf) die("cannot open text file");
    fseek(tf, 0, SEEK_END);
    long len = ftell(tf);
    fseek(tf, 0, SEEK_SET);
    char * text = malloc(len + 1);
    if (fread(text, 1, len, tf) != (size_t) len) die("read failed");
    text[len] = 0;
    fclose(tf);

    struct llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    struct llama_model * model = llama_model_load_from_file(argv[2], mp);
    if (!model) die("failed to load model");
    const struct llama_vocab * vocab = llama_model_get_vocab(model);
    int cap = (int) len + 8;
    llama_token * toks = malloc(sizeof(llama_token) * cap);
    int n = llama_tokenize(vocab, text, (int) len, toks, cap, bos, false);
    if (n < 0) die("tokenize failed");
    if (max >= 0 && n > max) n = (int) max;
    FILE * f = fopen(argv[4], "w");
    if (!f) die("cannot open output");
    for (int i = 0; i < n; i++) fprintf(f, "%d%c", toks[i], (i % 16 == 15 || i == n - 1) ? '\n' : ' ');
    fclose(f);
    free(toks);
    free(text);
    llama_model_free(model);
    return 0;
}

/*
 * ga MODEL PROMPT_FILE GA_N GA_W N_BATCH N_PREDICT OUT.json
 *
 * Mirrors llama-completion's Self-Extend approximation (tools/completion/completion.cpp, -gan/-gaw)
 * call for call, so that the generated token ids (which llama-completion does not print) can be
 * recorded; make-fixtures.sh checks that the text equals llama-completion's own output.
 *   - prompt text: file content minus one trailing '\n' (like -f), tokenized with add_special = true,
 *     parse_special = true (common_tokenize(ctx, prompt, true, true)).
 *   - the prompt is fed in chunks of N_BATCH tokens with llama_batch_get_one (positions assigned by
 *     llama.cpp as seq_pos_max + 1), then one token per step; greedy = argmax (--temp 0).
 *   - before every llama_decode:   while (n_past >= ga_i + ga_w) { seq_add; seq_div; seq_add; ... }
 * n_ctx = 2048, n_ubatch = min(512, N_BATCH), flash attention off, 2 threads.
 *
 * --fixed-div: replace the seq_div call by per-position seq_add calls that give every cell the same
 * new position but re-rotate its cached K by (new - old).  In llama.cpp 0.5.0 llama_kv_cells::pos_div
 * accumulates shift += old - new (the opposite sign of pos_add's shift += new - old), so after seq_div
 * the cached K carries RoPE angle 2*old - new instead of new (see `shiftcheck`).  Without the flag the
 * mirror reproduces llama-completion exactly (bug included).
 */
static int cmd_ga(int argc, char ** argv) {
    if (argc != 9 && !(argc == 10 && strcmp(argv[9], "--fixed-div") == 0)) {
        die("usage: ga MODEL PROMPT_FILE GA_N GA_W N_BATCH N_PREDICT OUT.json [--fixed-div]");
    }
    const bool fixed_div = argc == 10;
    const char * model_path = argv[2];
    const int ga_n = atoi(argv[4]);
    const int ga_w = atoi(argv[5]);
    const int n_batch = atoi(argv[6]);
    const int n_predict = atoi(argv[7]);
    const char * out_path = argv[8];
    if (ga_n < 1 || ga_w % ga_n != 0) die("ga_w must be a multiple of ga_n");

    FILE * tf = fopen(argv[3], "rb");
    if (!tf) die("cannot open prompt file");
    fseek(tf, 0, SEEK_END);
    long len = ftell(tf);
    fseek(tf, 0, SEEK_SET);
    char * text = malloc(len + 1);
    if (fread(text, 1, len, tf) != (size_t) len) die("read failed");
    fclose(tf);
    if (len > 0 && text[len - 1] == '\n') len--;
    text[len] = 0;

    struct llama_model * model = load_model(model_path);
    const struct llama_vocab * vocab = llama_model_get_vocab(model);
    const int n_vocab = llama_vocab_n_tokens(vocab);
    int cap = (int) len + 8;
    llama_token * ptoks = malloc(sizeof(llama_token) * cap);
    int np = llama_tokenize(vocab, text, (int) len, ptoks, cap, true, true);
    if (np < 0) die("tokenize failed");

    const int n_ctx = 2048;
    if (np + n_predict + 4 > n_ctx) die("prompt too long");
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = n_ctx;
    cp.n_batch = n_batch;
    cp.n_ubatch = n_batch < 512 ? n_batch : 512;
    cp.n_seq_max = 1;
    cp.n_threads = N_THREADS;
    cp.n_threads_batch = N_THREADS;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.no_perf = true;
    struct llama_context * ctx = llama_init_from_model(model, cp);
    if (!ctx) die("failed to create context");
    llama_memory_t mem = llama_get_memory(ctx);

    llama_token * gen = malloc(sizeof(llama_token) * (n_predict + 1));
    int ng = 0;
    int n_past = 0, ga_i = 0, n_consumed = 0, n_ops = 0, n_decodes = 0;
    llama_token * embd = malloc(sizeof(llama_token) * (np > 1 ? np : 1));
    int n_embd = 0;
    int * dec_pos = malloc(sizeof(int) * (np + n_predict + 1));
    int * dec_len = malloc(sizeof(int) * (np + n_predict + 1));
    while (ng < n_predict) {
        if (n_embd > 0) {
            if (ga_n != 1) {
                while (n_past >= ga_i + ga_w) {
                    const int ib = (ga_n * ga_i) / ga_w;
                    const int bd = (ga_w / ga_n) * (ga_n - 1);
                    const int dd = (ga_w / ga_n) - ib * bd - ga_w;
                    llama_memory_seq_add(mem, 0, ga_i, n_past, ib * bd);
                    if (!fixed_div) {
                        llama_memory_seq_div(mem, 0, ga_i + ib * bd, ga_i + ib * bd + ga_w, ga_n);
                    } else {
                        /* same positions, but K re-rotated by new - old: per-position seq_add in
                         * ascending order (moved cells land below the positions still to be moved) */
                        for (int p = ga_i + ib * bd; p < ga_i + ib * bd + ga_w; p++) {
                            llama_memory_seq_add(mem, 0, p, p + 1, p / ga_n - p);
                        }
                    }
                    llama_memory_seq_add(mem, 0, ga_i + ib * bd + ga_w, n_past + ib * bd, dd);
                    n_past -= bd;
                    ga_i += ga_w / ga_n;
                    n_ops++;
                }
            }
            if (llama_memory_seq_pos_max(mem, 0) + 1 != n_past && n_past > 0) {
                fprintf(stderr, "note: seq_pos_max+1 = %d, n_past = %d\n", llama_memory_seq_pos_max(mem, 0) + 1, n_past);
            }
            if (llama_decode(ctx, llama_batch_get_one(embd, n_embd)) != 0) die("llama_decode failed");
            dec_pos[n_decodes] = n_past;
            dec_len[n_decodes] = n_embd;
            n_past += n_embd;
            n_decodes++;
        }
        n_embd = 0;
        if (n_consumed >= np) {
            const float * lg = llama_get_logits_ith(ctx, -1);
            llama_token t = argmax(lg, n_vocab);
            gen[ng++] = t;
            embd[n_embd++] = t;
            if (llama_vocab_is_eog(vocab, t)) break;
        } else {
            while (n_consumed < np) {
                embd[n_embd++] = ptoks[n_consumed++];
                if (n_embd == n_batch) break;
            }
        }
    }

    FILE * f = fopen(out_path, "w");
    if (!f) die("cannot open output");
    fprintf(f, "{\"fixed_div\": %s, \"ga_n\": %d, \"ga_w\": %d, \"n_batch\": %d, \"n_prompt_tokens\": %d, \"n_ga_ops\": %d, \"n_decodes\": %d, \"final_n_past\": %d, \"final_ga_i\": %d,\n \"prompt_tokens\": [",
            fixed_div ? "true" : "false", ga_n, ga_w, n_batch, np, n_ops, n_decodes, n_past, ga_i);
    for (int i = 0; i < np; i++) fprintf(f, "%s%d", i ? ", " : "", ptoks[i]);
    fprintf(f, "],\n \"decodes\": [");
    for (int i = 0; i < n_decodes; i++) fprintf(f, "%s[%d, %d]", i ? ", " : "", dec_pos[i], dec_len[i]);
    fprintf(f, "],\n \"tokens\": [");
    for (int i = 0; i < ng; i++) fprintf(f, "%s%d", i ? ", " : "", gen[i]);
    fprintf(f, "],\n \"text\": ");
    char buf[512];
    size_t tcap = 4096, tlen = 0;
    char * out = malloc(tcap);
    for (int i = 0; i < ng; i++) {
        int k = piece(vocab, gen[i], buf, sizeof(buf));
        if (tlen + k >= tcap) { tcap = 2 * (tlen + k) + 1; out = realloc(out, tcap); }
        memcpy(out + tlen, buf, k);
        tlen += k;
    }
    json_str(f, out, tlen);
    fprintf(f, "}\n");
    fclose(f);

    free(out);
    free(dec_pos);
    free(dec_len);
    free(embd);
    free(gen);
    free(ptoks);
    free(text);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}

/*
 * shiftcheck MODEL TOKENS_FILE
 * Checks that llama_memory_seq_div re-rotates cached K consistently with llama_memory_seq_add:
 * decode the first 64 tokens at positions 0..63 in two contexts, then move the single cell at
 * position 40 to position 20, once with seq_div([40,41), 2) and once with seq_add([40,41), -20),
 * decode token 64 at position 64 in both and compare the logits (they must be identical if both
 * paths rotate K by new_pos - old_pos); the untouched context shows the effect size; and
 * div 40->20 vs add 40->60 (identical when seq_div rotates K by old_pos - new_pos, i.e. in the wrong
 * direction: a cell's position only matters through its K rotation and the causal mask p_key <= p_query,
 * and the cell stays visible either way).
 */
static int cmd_shiftcheck(int argc, char ** argv) {
    if (argc != 4) die("usage: shiftcheck MODEL TOKENS_FILE");
    FILE * tf = fopen(argv[3], "r");
    if (!tf) die("cannot open tokens file");
    llama_token toks[65];
    int n = 0;
    long v;
    while (n < 65 && fscanf(tf, "%ld", &v) == 1) toks[n++] = (llama_token) v;
    fclose(tf);
    if (n < 65) die("need 65 tokens");
    struct llama_model * model = load_model(argv[2]);
    const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    float * res[6];
    for (int variant = 0; variant < 6; variant++) {
        struct llama_context * ctx = make_ctx(model, 256, 64);
        llama_memory_t mem = llama_get_memory(ctx);
        if (llama_decode(ctx, llama_batch_get_one(toks, 64)) != 0) die("decode failed");
        switch (variant) {
            case 0: llama_memory_seq_div(mem, 0, 40, 41, 2); break;                        /* 40 -> 20 */
            case 1: llama_memory_seq_add(mem, 0, 40, 41, -20); break;                      /* 40 -> 20 */
            case 2: break;                                                                 /* (unused) */
            case 3: break;                                                                 /* untouched */
            case 4: break;                                                                 /* (unused) */
            case 5: llama_memory_seq_add(mem, 0, 40, 41, 20); break;                       /* 40 -> 60 */
        }
        struct llama_batch b = llama_batch_init(1, 0, 1);
        b.token[0] = toks[64]; b.pos[0] = 64; b.n_seq_id[0] = 1; b.seq_id[0][0] = 0; b.logits[0] = 1; b.n_tokens = 1;
        if (llama_decode(ctx, b) != 0) die("decode failed");
        res[variant] = malloc(sizeof(float) * n_vocab);
        memcpy(res[variant], llama_get_logits_ith(ctx, -1), sizeof(float) * n_vocab);
        llama_batch_free(b);
        llama_free(ctx);
    }
    double d01 = 0, d13 = 0, d05 = 0;
    for (int j = 0; j < n_vocab; j++) {
        d05 = fmax(d05, fabs(res[0][j] - res[5][j]));
        d01 = fmax(d01, fabs(res[0][j] - res[1][j]));
        d13 = fmax(d13, fabs(res[1][j] - res[3][j]));
    }
    printf("max |logit diff| seq_div(40->20) vs seq_add(40->20):             %.6g\n", d01);
    printf("max |logit diff| seq_add(40->20) vs untouched (effect size):      %.6g\n", d13);
    printf("max |logit diff| seq_div(40->20) vs seq_add(40->60):             %.6g\n", d05);
    printf("(if the last line is ~0, seq_div rotated K by old-new = +20 instead of new-old = -20)\n");
    for (int i = 0; i < 6; i++) free(res[i]);
    llama_model_free(model);
    return 0;
}

int main(int argc, char ** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: llama_golden score|greedy|tokenize|ga|shiftcheck ...\n");
        return 1;
    }
    llama_log_set(quiet_log, NULL);
    llama_backend_init();
    int rc;
    if (strcmp(argv[1], "score") == 0) rc = cmd_score(argc, argv);
    else if (strcmp(argv[1], "greedy") == 0) rc = cmd_greedy(argc, argv);
    else if (strcmp(argv[1], "tokenize") == 0) rc = cmd_tokenize(argc, argv);
    else if (strcmp(argv[1], "ga") == 0) rc = cmd_ga(argc, argv);
    else if (strcmp(argv[1], "shiftcheck") == 0) rc = cmd_shiftcheck(argc, argv);
    else die("unknown subcommand");
    llama_backend_free();
    return rc;
}
