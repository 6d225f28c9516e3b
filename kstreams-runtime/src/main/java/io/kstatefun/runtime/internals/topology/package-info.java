/**
 * The Kafka Streams shell: {@code TopologyFactory} builds the one sub-topology (ingress, loopback
 * and doorbell sources, the dispatcher processor with its three RocksDB stores, the loopback,
 * egress and dead-letter sinks); {@code DispatchProcessor} feeds records, call completions and
 * wall-clock time to the dispatcher and performs its actions; {@code KafkaDispatchStores} keeps the
 * dispatcher's data in the stores; {@code TopicSetup}, {@code LoopbackPurger}, {@code Doorbell},
 * {@code EgressTopicCheck}, {@code CommitPacer}, {@code RecordSizes}, {@code DeadLetters} and
 * {@code CrashLoopGuard} handle the edges around it; {@code RuntimeServicesFactory} wires one
 * instance together.
 */
package io.kstatefun.runtime.internals.topology;
