package io.kstatefun.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Linux {@code /proc} readings: CPU time and memory of a process, machine-wide CPU time and load
 * average. Values are -1 where {@code /proc} is not available.
 */
public final class ProcStats {

  /** Clock ticks per second of {@code /proc/<pid>/stat}; 100 on every common Linux build. */
  private static final long TICKS_PER_SECOND = 100;

  private ProcStats() {}

  /** User + system CPU time of process {@code pid} (all threads), in nanoseconds. */
  public static long cpuNanos(long pid) {
    String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
    if (stat == null) {
      return -1;
    }
    // Fields after the command name, which may contain spaces, start after the last ')'.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    // f[0] is field 3 (state); utime is field 14, stime field 15.
    long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    return ticks * (1_000_000_000L / TICKS_PER_SECOND);
  }

  /** Resident set size of {@code pid} in KiB. */
  public static long rssKb(long pid) {
    return statusKb(pid, "VmRSS:");
  }

  /** Peak resident set size of {@code pid} in KiB. */
  public static long peakRssKb(long pid) {
    return statusKb(pid, "VmHWM:");
  }

  private static long statusKb(long pid, String field) {
    String status = read(Path.of("/proc", Long.toString(pid), "status"));
    if (status == null) {
      return -1;
    }
    for (String line : status.split("\n")) {
      if (line.startsWith(field)) {
        return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
      }
    }
    return -1;
  }

  /** Machine-wide CPU time: busy and total, in nanoseconds summed over all cores. */
  public record MachineCpu(long busyNanos, long totalNanos) {}

  public static MachineCpu machineCpu() {
    String stat = read(Path.of("/proc/stat"));
    if (stat == null) {
      return new MachineCpu(-1, -1);
    }
    String[] f = stat.substring(0, stat.indexOf('\n')).trim().split("\\s+");
    // cpu user nice system idle iowait irq softirq steal ...
    long user = Long.parseLong(f[1]);
    long nice = Long.parseLong(f[2]);
    long system = Long.parseLong(f[3]);
    long idle = Long.parseLong(f[4]);
    long iowait = Long.parseLong(f[5]);
    long irq = Long.parseLong(f[6]);
    long softirq = Long.parseLong(f[7]);
    long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
    long busy = user + nice + system + irq + softirq + steal;
    long total = busy + idle + iowait;
    long tick = 1_000_000_000L / TICKS_PER_SECOND;
    return new MachineCpu(busy * tick, total * tick);
  }

  /** The 1-minute load average, or -1. */
  public static double loadAverage1m() {
    String s = read(Path.of("/proc/loadavg"));
    return s == null ? -1 : Double.parseDouble(s.trim().split("\\s+")[0]);
  }

  /** The 1, 5 and 15-minute load averages as text, or "?". */
  public static String loadAverages() {
    String s = read(Path.of("/proc/loadavg"));
    if (s == null) {
      return "?";
    }
    List<String> f = List.of(s.trim().split("\\s+"));
    return String.join(" ", f.subList(0, 3));
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
