package io.kstatefun.runtime.state;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * Options of {@link StateExporter#export}.
 *
 * @param force export even while the application's consumer group has active members: the file then
 *     holds each partition's state as of some committed transaction, not one point in time
 * @param progress receives a progress line now and then on long exports (never null)
 */
public record ExportOptions(boolean force, Consumer<String> progress) {

  public ExportOptions {
    Objects.requireNonNull(progress, "progress");
  }

  public static ExportOptions defaults() {
    return new ExportOptions(false, line -> {});
  }

  public ExportOptions withForce(boolean force) {
    return new ExportOptions(force, progress);
  }

  public ExportOptions withProgress(Consumer<String> progress) {
    return new ExportOptions(force, progress);
  }
}
