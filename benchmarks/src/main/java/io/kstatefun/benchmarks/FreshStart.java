package io.kstatefun.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The evaluation of a fresh-start run ({@link RunSpec.Mode#FRESH}): the load starts when the
 * runtime's JVM is launched, and latency is reported per window of send time since that launch,
 * with the time from which every later window keeps its p99 within a bound.
 */
final class FreshStart {

  /**
   * JVM options of a fresh runtime JVM by default: those bin/kstatefun starts a release with when
   * KSTATEFUN_JAVA_OPTS is not set (keep the two in step).
   */
  static final String DISTRIBUTION_JVM_OPTIONS = "-Xmx1g";

  /**
   * The class data sharing archive of runtime JVMs on this class path and JDK, in {@code dir}: its
   * name is a checksum of the class path entries (names, sizes, modification times) and the JDK, as
   * bin/kstatefun names the release's archive.
   */
  static java.nio.file.Path cdsArchive(java.nio.file.Path dir) {
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    StringBuilder sb = new StringBuilder(System.getProperty("java.home"));
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      java.io.File f = new java.io.File(entry);
      sb.append('|').append(entry).append(',').append(f.length()).append(',');
      sb.append(f.lastModified());
    }
    crc.update(sb.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return dir.resolve("runtime-" + Long.toHexString(crc.getValue()) + ".jsa");
  }

  /**
   * JVM options for class data sharing as bin/kstatefun passes them: map {@code archive} if it
   * exists, else record it when the JVM exits (a training run).
   */
  static List<String> cdsOptions(java.nio.file.Path archive) {
    String option =
        java.nio.file.Files.isRegularFile(archive)
            ? "-XX:SharedArchiveFile=" + archive
            : "-XX:ArchiveClassesAtExit=" + archive;
    return List.of(option, "-Xlog:cds=off", "-Xlog:cds+dynamic=off");
  }

  /** The bound of the fresh-start target: p99 at most 1 s. */
  static final double TARGET_P99_MS = 1000;

  private FreshStart() {}

  /**
   * Per-window statistics of the messages sent in {@code [start + i * windowS, start + (i + 1) *
   * windowS)}, for the whole {@code durationS}.
   */
  static List<Map<String, Object>> windows(
      LatencyRecorder latencies, long startNanos, double durationS, double windowS, double rate) {
    List<Map<String, Object>> out = new ArrayList<>();
    int n = (int) Math.ceil(durationS / windowS - 1e-9);
    for (int i = 0; i < n; i++) {
      double fromS = i * windowS;
      double toS = Math.min(durationS, (i + 1) * windowS);
      LatencyRecorder.Window w =
          latencies.window(startNanos + nanos(fromS), startNanos + nanos(toS));
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("from_s", Runner.round(fromS, 1));
      m.put("to_s", Runner.round(toS, 1));
      m.put("out", w.count());
      m.put("expected", Math.round(rate * (toS - fromS)));
      m.put("p50_ms", Runner.round(w.percentileMs(0.5), 1));
      m.put("p99_ms", Runner.round(w.percentileMs(0.99), 1));
      m.put("max_ms", Runner.round(w.maxMs(), 1));
      out.add(m);
    }
    return out;
  }

  /**
   * The earliest whole second {@code t} since {@code startNanos} from which every 1 s window of
   * send time up to {@code durationS} has all its messages out (one missing message is tolerated
   * for rounding of the schedule) and a p99 of at most {@code maxP99Ms}; NaN if the last window
   * fails. A missing message counts as slower than any that came out.
   */
  static double stableAfterS(
      LatencyRecorder latencies, long startNanos, double durationS, double rate, double maxP99Ms) {
    int seconds = (int) Math.floor(durationS + 1e-9);
    double stable = Double.NaN;
    for (int k = seconds - 1; k >= 0; k--) {
      LatencyRecorder.Window w = latencies.window(startNanos + nanos(k), startNanos + nanos(k + 1));
      long expected = Math.round(rate);
      long missing = Math.max(0, expected - w.count());
      boolean ok;
      if (missing > 1) {
        ok = false;
      } else {
        // p99 over expected messages, a missing one counting as the slowest.
        long total = w.count() + missing;
        int rank = (int) Math.ceil(0.99 * total);
        ok = rank <= w.count() && w.count() > 0 && percentileAtRank(w, rank) <= maxP99Ms;
      }
      if (!ok) {
        break;
      }
      stable = k;
    }
    return stable;
  }

  private static double percentileAtRank(LatencyRecorder.Window w, int rank) {
    // Window.percentileMs uses the nearest rank over its own count; the rank here is over the
    // expected count, which differs only by the tolerated missing message.
    return w.percentileMs((rank - 0.5) / w.count());
  }

  /**
   * CPU seconds of the threads of process {@code pid} (Linux), grouped by what they do: the JIT
   * compilers, the garbage collector, Kafka Streams' and clients' threads, Vert.x (HTTP), others.
   * Empty where /proc is not readable.
   */
  static Map<String, Object> cpuByThreadGroup(long pid) {
    Map<String, Double> groups = new java.util.TreeMap<>();
    java.nio.file.Path tasks = java.nio.file.Path.of("/proc", Long.toString(pid), "task");
    try (java.util.stream.Stream<java.nio.file.Path> ts = java.nio.file.Files.list(tasks)) {
      for (java.nio.file.Path t : ts.toList()) {
        String stat;
        try {
          stat = java.nio.file.Files.readString(t.resolve("stat"));
        } catch (java.io.IOException e) {
          continue; // the thread ended
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        double seconds = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        groups.merge(threadGroup(name), seconds, Double::sum);
      }
    } catch (java.io.IOException | RuntimeException e) {
      return Map.of();
    }
    Map<String, Object> out = new LinkedHashMap<>();
    groups.forEach((k, v) -> out.put(k, Runner.round(v, 1)));
    // Threads that ended (idle compiler threads do) are only in the process's total.
    double live = groups.values().stream().mapToDouble(Double::doubleValue).sum();
    out.put("ended_threads", Runner.round(Math.max(0, ProcStats.cpuNanos(pid) / 1e9 - live), 1));
    return out;
  }

  /** The group of a thread by its (15-character) Linux name. */
  static String threadGroup(String name) {
    if (name.startsWith("C2 Compiler") || name.startsWith("C1 Compiler")) {
      return name.startsWith("C2") ? "jit_c2" : "jit_c1";
    }
    if (name.startsWith("G1 ") || name.startsWith("GC Thread") || name.startsWith("VM Thread")) {
      return "gc_vm";
    }
    if (name.startsWith("vert.x")) {
      return "vertx";
    }
    if (name.startsWith("kafka-") || name.startsWith("bench-")) {
      return "kafka_streams";
    }
    if (name.equals("java") || name.equals("main")) {
      return "main";
    }
    return "other";
  }

  private static long nanos(double seconds) {
    return Math.round(seconds * 1e9);
  }
}
