/**
 * A local KRaft Kafka broker and cluster from the Maven artifacts, without Docker: for the {@code
 * kafka} and {@code dev} commands, the examples, the integration tests, the chaos tests and the
 * benchmarks. Not used by the runtime itself.
 */
package io.kstatefun.localkafka;
