package io.kstatefun.chaos.harness;

import io.kstatefun.runtime.cli.KStatefunCli;
import java.util.Optional;

/**
 * Runs {@link KStatefunCli} (the real {@code kstatefun} command line) in a child JVM that halts
 * when the harness process is gone, so a crashed or killed test run leaves no runtime behind. The
 * harness's pid comes from the system property {@value #PARENT_PID_PROPERTY}.
 */
public final class ParentWatchdog {

  /** System property holding the pid to watch. */
  public static final String PARENT_PID_PROPERTY = "chaos.parentPid";

  private ParentWatchdog() {}

  /** {@code KStatefunCli.main(args)}, with the watchdog armed. */
  public static void main(String[] args) {
    arm();
    KStatefunCli.main(args);
  }

  /** Halts this JVM (like SIGKILL: no hooks) once the parent process exits. */
  public static void arm() {
    String pid = System.getProperty(PARENT_PID_PROPERTY);
    if (pid == null) {
      return;
    }
    Optional<ProcessHandle> parent = ProcessHandle.of(Long.parseLong(pid));
    if (parent.isEmpty()) {
      Runtime.getRuntime().halt(4);
    }
    parent.get().onExit().thenRun(() -> Runtime.getRuntime().halt(4));
  }
}
