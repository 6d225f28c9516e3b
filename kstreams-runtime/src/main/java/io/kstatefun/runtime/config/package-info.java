/**
 * The runtime's settings: {@link io.kstatefun.runtime.config.KStatefunConfig} defines every {@code
 * kstatefun.*} key with its default, validation and documentation, and the Kafka Streams defaults
 * kstatefun chooses; {@code ConfigDocs} renders them as {@code docs/configuration.md}.
 */
package io.kstatefun.runtime.config;
