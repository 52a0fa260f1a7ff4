package dev.longlm.golden;

import com.fasterxml.jackson.databind.JsonNode;

/** Reading llama.cpp fixture JSON. */
final class GoldenJson {
    private GoldenJson() {
    }

    /** A JSON array of integers (token ids) as an int array. */
    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
