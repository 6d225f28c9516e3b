/**
 * The dispatch state machine, free of Kafka Streams and HTTP: {@code Dispatcher} takes events
 * (message, response, timers, recovery) for the addresses of one partition and returns {@code
 * Action}s for the shell to carry out. Its parts: {@code Admission} (in-flight slots and waiting
 * queues), {@code Mailbox} and {@code Batches} (the durable per-address queue), {@code
 * RequestBuilder}, {@code ResponseValidator}, {@code StateNegotiation}, {@code StateWriter} (state
 * and TTL), {@code DelayedMessages} (timers), {@code OutputSizes}, {@code EgressRecords}, {@code
 * Envelopes} (the one place protocol addresses are converted) and {@code UnreadableRecords}. Stores
 * are reached through {@code DispatchStores}.
 *
 * <p>Threading: everything here is owned by the task's stream thread.
 */
package io.kstatefun.runtime.internals.dispatch;
