package io.kstatefun.chaos.workload;

/**
 * The value of a record an {@code egress} command writes to the egress topic (key: the uid).
 *
 * @param uid the command's uid, unique in a round
 * @param fn the address that wrote it
 */
public record EgressRecord(long uid, String fn) {}
