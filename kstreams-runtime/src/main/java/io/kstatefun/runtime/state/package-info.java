/**
 * The portable state file (docs/state-files.md) and the tools on it: {@link
 * io.kstatefun.runtime.state.StateFileWriter} and {@link
 * io.kstatefun.runtime.state.StateFileReader} write and read the format ({@code
 * kstatefun/state-file.proto}); {@link io.kstatefun.runtime.state.StateExporter} writes an
 * application's function state and pending timers to a file; {@link
 * io.kstatefun.runtime.state.StateImporter} writes a file into an application's changelog topics in
 * one Kafka transaction. The StateFun savepoint import produces a file with the writer and hands it
 * to the importer.
 */
package io.kstatefun.runtime.state;
