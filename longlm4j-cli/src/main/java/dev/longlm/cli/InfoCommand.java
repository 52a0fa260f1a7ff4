package dev.longlm.cli;

import dev.longlm.gguf.GgmlType;
import dev.longlm.gguf.GgufFile;
import dev.longlm.gguf.GgufTensorInfo;
import dev.longlm.model.Model;
import dev.longlm.model.ModelConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

@Command(name = "info", mixinStandardHelpOptions = true, description = "Architecture, hyper-parameters, tokenizer and tensors of a model.")
final class InfoCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Override
    public Integer call() {
        try (Model model = Model.load(modelOptions.modelPath())) {
            GgufFile f = model.file();
            ModelConfig c = model.config();
            var md = f.metadata();
            System.out.printf("file            %s (GGUF v%d, %.1f MB)%n", f.path(), f.version(), f.fileSize() / 1e6);
            System.out.printf("name            %s%n", c.name());
            System.out.printf("architecture    %s%n", c.architecture());
            System.out.printf("trained context %d%n", c.contextLength());
            System.out.printf("layers          %d%n", c.layers());
            System.out.printf("dim             %d (ffn %d)%n", c.dim(), c.ffnDim());
            System.out.printf("heads           %d query, %d key/value (head dim %d)%n", c.heads(), c.kvHeads(), c.headDim());
            System.out.printf("rope            base %.1f, %d of %d dims, %s%n", c.ropeBase(), c.ropeDims(), c.headDim(), c.ropeLayout());
            System.out.printf("norm eps        %g%n", c.normEps());
            System.out.printf("vocabulary      %d tokens, tokenizer '%s' (pre '%s')%n", c.vocabSize(),
                    md.getString("tokenizer.ggml.model", "?"), md.getString("tokenizer.ggml.pre", "default"));
            System.out.printf("chat template   %s%n", md.contains("tokenizer.chat_template") ? "yes" : "no");
            Map<GgmlType, long[]> byType = new TreeMap<>();
            long params = 0;
            for (GgufTensorInfo t : f.tensorList()) {
                long[] agg = byType.computeIfAbsent(t.type(), k -> new long[3]);
                agg[0]++;
                agg[1] += t.elementCount();
                agg[2] += t.byteSize();
                params += t.elementCount();
            }
            System.out.printf("parameters      %.2f M in %d tensors%n", params / 1e6, f.tensorList().size());
            byType.forEach((type, a) -> System.out.printf("  %-6s %4d tensors %10.2f M values %9.2f MB%n", type, a[0], a[1] / 1e6, a[2] / 1e6));
            if (!modelOptions.deviceName().equalsIgnoreCase("cpu")) {
                try (var backend = modelOptions.openBackend()) {
                    backend.load(model.weights().weightSet());
                    System.out.printf("device          %s%n", backend.describe());
                }
            }
        }
        return 0;
    }
}
