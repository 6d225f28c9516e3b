/**
 * {@code kstatefun import-statefun}: reads a savepoint of an Apache Flink StateFun 3.3.0 job with
 * Flink's State Processor API and writes the remote functions' state and pending delayed messages
 * as a portable state file ({@code state-file.proto}), which {@code kstatefun state import} loads
 * into an application. This module runs on its own class path (Flink 1.16, protobuf 3); see
 * docs/migrating-from-statefun.md for what it reads and how.
 */
package io.kstatefun.statefunimport;
