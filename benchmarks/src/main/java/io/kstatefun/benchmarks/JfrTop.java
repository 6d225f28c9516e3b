package io.kstatefun.benchmarks;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Summarizes the CPU samples ({@code jdk.ExecutionSample}) of a JFR recording: samples per thread,
 * the hottest methods by self time, and by total (inclusive) time, optionally only methods of one
 * package prefix.
 *
 * <pre>kstatefun-bench jfr-top runtime.jfr [--top 25] [--package io.kstatefun]</pre>
 */
final class JfrTop {

  private JfrTop() {}

  static int run(Path file, int top, String pkg, String threadFilter) throws Exception {
    Map<String, Integer> byThread = new HashMap<>();
    Map<String, Integer> self = new HashMap<>();
    Map<String, Integer> total = new HashMap<>();
    int samples = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      if (!e.getEventType().getName().equals("jdk.ExecutionSample")) {
        continue;
      }
      String thread =
          e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
      String threadGroup = thread == null ? "?" : thread.replaceAll("-?\\d+", "#");
      if (threadFilter != null && (thread == null || !thread.contains(threadFilter))) {
        continue;
      }
      samples++;
      byThread.merge(threadGroup, 1, Integer::sum);
      RecordedStackTrace st = e.getStackTrace();
      if (st == null || st.getFrames().isEmpty()) {
        continue;
      }
      List<RecordedFrame> frames = st.getFrames();
      self.merge(name(frames.get(0)), 1, Integer::sum);
      Set<String> seen = new HashSet<>();
      for (RecordedFrame f : frames) {
        String n = name(f);
        if ((pkg == null || n.startsWith(pkg)) && seen.add(n)) {
          total.merge(n, 1, Integer::sum);
        }
      }
    }
    System.out.println(samples + " CPU samples");
    print("threads", byThread, samples, top);
    print("self", self, samples, top);
    print("total" + (pkg == null ? "" : " (" + pkg + "*)"), total, samples, top);
    return 0;
  }

  private static String name(RecordedFrame f) {
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static void print(String title, Map<String, Integer> counts, int samples, int top) {
    System.out.println("\n== " + title);
    List<Map.Entry<String, Integer>> list = new ArrayList<>(counts.entrySet());
    list.sort((a, b) -> b.getValue() - a.getValue());
    for (int i = 0; i < Math.min(top, list.size()); i++) {
      Map.Entry<String, Integer> e = list.get(i);
      System.out.printf(
          "%6.1f%%  %6d  %s%n", 100.0 * e.getValue() / samples, e.getValue(), e.getKey());
    }
  }
}
