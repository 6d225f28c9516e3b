package io.kstatefun.cli.statefun;

import java.util.List;

/** The JVM options the launcher gives Flink's JVM, for the test's own StateFun job JVM. */
final class ImportStatefunCommandAccess {
  private ImportStatefunCommandAccess() {}

  static List<String> flinkJvmOptions() {
    return io.kstatefun.cli.ImportStatefunCommand.FLINK_JVM_OPTIONS;
  }
}
