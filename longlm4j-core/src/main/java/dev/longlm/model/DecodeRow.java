package dev.longlm.model;

/**
 * One sequence's part of a batched decode step ({@link Transformer#decodeBatch}): the token it appends
 * to its sequence, whose store fixes the position and whose scheme and RoPE its attention uses.
 */
public record DecodeRow(int token, Sequence sequence) {
}
