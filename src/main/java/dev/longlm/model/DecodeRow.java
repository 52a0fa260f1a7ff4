package dev.longlm.model;

import dev.longlm.attention.KvCache;

/**
 * One sequence's part of a batched decode step ({@link Transformer#decodeBatch}): the token it appends,
 * its cache (which fixes the position and the {@link dev.longlm.attention.PositionScheme}) and its own
 * forward pass, whose RoPE its keys and queries are rotated with. The forward pass must be over the same
 * weights as the batch's.
 */
public record DecodeRow(int token, KvCache cache, Transformer transformer) {
}
