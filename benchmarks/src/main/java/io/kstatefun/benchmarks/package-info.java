/**
 * {@code kstatefun-bench}: open-loop load against kstatefun and a plain Kafka Streams baseline in
 * child JVMs, with latency percentiles, throughput and CPU printed as JSON.
 */
package io.kstatefun.benchmarks;
