/**
 * The kstatefun runtime's API: {@link io.kstatefun.runtime.KStatefunRuntime} starts one instance of
 * a StateFun module on Kafka Streams; {@link io.kstatefun.runtime.RuntimeListener} observes what it
 * does; {@link io.kstatefun.runtime.DeadLetterReason} names why a record was dead-lettered (the
 * stable values of the {@code kstatefun.dlq.reason} header).
 *
 * <p>Everything under {@code io.kstatefun.runtime.internals} is implementation and may change
 * without notice; the settings are in {@code io.kstatefun.runtime.config} and the command line in
 * {@code io.kstatefun.runtime.cli}.
 */
package io.kstatefun.runtime;
