/**
 * The state export and import behind {@code io.kstatefun.runtime.state}: {@code ChangelogReader}
 * reads a store's changelog as Kafka Streams restores it, {@code ChangelogExport} turns the
 * changelogs into a state file, {@code ChangelogImport} turns a state file into changelog records
 * in one transaction, {@code Applications} holds the checks both share (is the application running,
 * its topics and partition count).
 */
package io.kstatefun.runtime.internals.state;
