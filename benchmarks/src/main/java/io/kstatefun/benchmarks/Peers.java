package io.kstatefun.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the peer systems' sources and installations are. */
final class Peers {

  /** Set by {@code bin/kstatefun-bench}: the repository's {@code benchmarks/peers} directory. */
  static final String SOURCE_DIR_PROPERTY = "kstatefun.bench.peers";

  private Peers() {}

  /**
   * The repository's {@code benchmarks/peers}: the property, else found from the working directory.
   */
  static Path sourceDir() {
    String p = System.getProperty(SOURCE_DIR_PROPERTY);
    if (p != null) {
      return Path.of(p);
    }
    for (Path candidate : new Path[] {Path.of("benchmarks", "peers"), Path.of("peers")}) {
      if (Files.isDirectory(candidate.resolve("restate"))) {
        return candidate.toAbsolutePath();
      }
    }
    throw new IllegalStateException(
        "benchmarks/peers not found: run bin/kstatefun-bench, or set -D" + SOURCE_DIR_PROPERTY);
  }

  /** The default installation directory of the peers: {@code ~/.cache/kstatefun-bench}. */
  static Path defaultHome() {
    return Path.of(System.getProperty("user.home"), ".cache", "kstatefun-bench");
  }
}
