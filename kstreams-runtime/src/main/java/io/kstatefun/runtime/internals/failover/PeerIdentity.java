package io.kstatefun.runtime.internals.failover;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a peer says about itself on the probe path ({@link PeerEndpoint#PATH}): enough for a
 * survivor to fence its transactional producers and remove it from the consumer group.
 *
 * @param applicationId the Kafka Streams application id
 * @param processId the Kafka Streams process id (stable per {@code state.dir}); with the
 *     application id and a thread index it makes the exactly_once_v2 transactional id
 * @param groupInstanceId the configured {@code group.instance.id} (Kafka Streams appends {@code
 *     -<thread index>} per stream thread), or null for a dynamic member
 * @param threads the indexes of the live stream threads
 * @param state the Kafka Streams state ({@code RUNNING}, {@code PENDING_SHUTDOWN}, ...)
 */
public record PeerIdentity(
    String applicationId,
    String processId,
    String groupInstanceId,
    List<Integer> threads,
    String state) {

  public PeerIdentity {
    Objects.requireNonNull(applicationId, "applicationId");
    Objects.requireNonNull(processId, "processId");
    threads = List.copyOf(threads);
    Objects.requireNonNull(state, "state");
  }

  /** The exactly_once_v2 transactional ids of the stream threads (Kafka Streams 4.x format). */
  public List<String> transactionalIds() {
    List<String> out = new ArrayList<>();
    for (int thread : threads) {
      out.add(applicationId + "-" + processId + "-" + thread);
    }
    return out;
  }

  /**
   * The {@code group.instance.id} of every stream thread's consumer; empty for a dynamic member.
   */
  public List<String> memberInstanceIds() {
    List<String> out = new ArrayList<>();
    if (groupInstanceId != null) {
      for (int thread : threads) {
        out.add(groupInstanceId + "-" + thread);
      }
    }
    return out;
  }

  /** Whether it was shutting down (a graceful stop leaves the group by itself). */
  public boolean leaving() {
    return state.equals("PENDING_SHUTDOWN")
        || state.equals("NOT_RUNNING")
        || state.equals("PENDING_ERROR")
        || state.equals("ERROR");
  }

  /**
   * Same process incarnation: same process id and group instance id (threads and state may change).
   */
  public boolean sameIncarnation(PeerIdentity other) {
    return processId.equals(other.processId)
        && Objects.equals(groupInstanceId, other.groupInstanceId);
  }

  public JsonObject toJson() {
    JsonObject o =
        new JsonObject()
            .put("applicationId", applicationId)
            .put("processId", processId)
            .put("threads", new JsonArray(new ArrayList<Object>(threads)))
            .put("state", state);
    if (groupInstanceId != null) {
      o.put("groupInstanceId", groupInstanceId);
    }
    return o;
  }

  /**
   * Parses {@link #toJson()}.
   *
   * @throws IllegalArgumentException if a field is missing or of the wrong type
   */
  public static PeerIdentity fromJson(JsonObject o) {
    try {
      List<Integer> threads = new ArrayList<>();
      JsonArray array = o.getJsonArray("threads");
      for (int i = 0; i < array.size(); i++) {
        threads.add(array.getInteger(i));
      }
      return new PeerIdentity(
          o.getString("applicationId"),
          o.getString("processId"),
          o.getString("groupInstanceId"),
          threads,
          o.getString("state"));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a peer identity: " + o.encode(), e);
    }
  }
}
