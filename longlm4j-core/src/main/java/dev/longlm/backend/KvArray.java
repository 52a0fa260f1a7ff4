package dev.longlm.backend;

/**
 * One of a {@link KvStore}'s arrays, for copies to and from the host ({@link Backend#readKv}): keys and
 * values, whose rows are positions, or the ring of true-position keys, whose rows are ring slots.
 */
public enum KvArray {
    KEYS, VALUES, RING
}
