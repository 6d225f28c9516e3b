package io.kstatefun.runtime.internals.api;

import io.kstatefun.routing.Address;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.internals.dispatch.Dispatcher;
import io.kstatefun.runtime.internals.proto.Envelope;
import io.kstatefun.runtime.internals.proto.PendingTimer;
import io.kstatefun.runtime.internals.proto.StoredState;
import io.kstatefun.runtime.internals.proto.StoredValue;
import io.kstatefun.runtime.internals.topology.StateQueries;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * State queries and the debug view of an address (docs/http-api.md, "State queries"):
 *
 * <ul>
 *   <li>{@code GET /state/{namespace}/{type}/{id}}: all values of the address as JSON;
 *   <li>{@code GET /state/{namespace}/{type}/{id}/{state}}: one value's raw bytes, its typename in
 *       {@code Statefun-Type};
 *   <li>{@code GET /debug/{namespace}/{type}/{id}}: mailbox backlog, batch in flight and its age,
 *       pending timers, and how busy the address's task is.
 * </ul>
 *
 * <p>Any instance answers: the instance that runs the address's partition reads its stores; any
 * other finds that instance through Kafka Streams' metadata ({@code application.server}) and
 * proxies the request once, marked with {@value #PROXIED_HEADER} so that it is never proxied again.
 * Options: {@code replica=active} (default) or {@code any} (a local standby or restoring copy may
 * answer, with its lag), {@code consistency=latest} (default) or {@code committed} (answer only
 * after the owning stream thread committed what was read).
 *
 * <p>Threading: requests arrive on a Vert.x event loop. Store reads are short point reads done on
 * it; the debug view's bounded timer scan runs on a worker thread. Nothing here touches a
 * dispatcher's own structures: {@link StateQueries} reads interactive-query views and published
 * snapshots.
 */
public final class StateRoutes implements ApiRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(StateRoutes.class);

  /** Marks a request one instance proxied to another; the owner never proxies it again. */
  public static final String PROXIED_HEADER = "Kstatefun-Proxied-By";

  /** How long a proxied request may take. */
  static final long PROXY_TIMEOUT_MS = 10_000;

  /** How long {@code consistency=committed} waits for the owning thread's next commit. */
  static final long COMMIT_WAIT_MS = 10_000;

  /** Most timers of a task the debug view looks at. */
  static final int MAX_TIMERS_SCANNED = 10_000;

  /** Most timers of the address the debug view lists. */
  static final int MAX_TIMERS_LISTED = 100;

  private final Vertx vertx;
  private final StateQueries queries;
  private final HostInfo self;
  private final HttpClient proxy;
  private final LongSupplier clock;

  /**
   * @param self this instance's {@code application.server}
   * @param security the API's security settings, also used to proxy
   */
  public StateRoutes(
      Vertx vertx, StateQueries queries, HostInfo self, ApiSecurity security, LongSupplier clock) {
    this.vertx = vertx;
    this.queries = queries;
    this.self = self;
    this.clock = clock;
    this.proxy =
        vertx.createHttpClient(
            security
                .configure(new HttpClientOptions())
                .setConnectTimeout(2_000)
                .setKeepAlive(true)
                .setTcpNoDelay(true));
  }

  /** A parsed state or debug request. */
  record Query(
      Address address, String stateName, boolean debug, boolean replicaAny, boolean committed) {}

  @Override
  public boolean handle(HttpServerRequest request) {
    String path = request.path();
    boolean debug = path.startsWith("/debug/");
    if (!debug && !path.startsWith("/state/")) {
      return false;
    }
    if (request.method() != HttpMethod.GET) {
      request.response().putHeader("Allow", "GET");
      error(request, 405, "method-not-allowed", "only GET is supported on " + path);
      return true;
    }
    Query query;
    try {
      query = parse(path, debug, request);
    } catch (IllegalArgumentException e) {
      error(request, 400, "bad-request", e.getMessage());
      return true;
    }
    try {
      serve(request, query);
    } catch (RuntimeException e) {
      LOG.warn("State query {} failed", request.uri(), e);
      unavailable(request, "query-failed", "the query failed here: " + e);
    }
    return true;
  }

  static Query parse(String path, boolean debug, HttpServerRequest request) {
    String[] seg = path.substring("/state/".length()).split("/", -1);
    int max = debug ? 3 : 4;
    if (seg.length < 3 || seg.length > max) {
      throw new IllegalArgumentException(
          debug
              ? "expected /debug/{namespace}/{type}/{id}"
              : "expected /state/{namespace}/{type}/{id}[/{state}]");
    }
    for (String s : seg) {
      if (s.isEmpty()) {
        throw new IllegalArgumentException("empty path segment in " + path);
      }
    }
    Address address =
        new Address(
            new FunctionType(ApiPaths.decode(seg[0]), ApiPaths.decode(seg[1])),
            ApiPaths.decode(seg[2]));
    String state = seg.length == 4 ? ApiPaths.decode(seg[3]) : null;
    String replica = Optional.ofNullable(request.getParam("replica")).orElse("active");
    if (!List.of("active", "any").contains(replica)) {
      throw new IllegalArgumentException(
          "replica must be 'active' or 'any', was '" + replica + "'");
    }
    String consistency = Optional.ofNullable(request.getParam("consistency")).orElse("latest");
    if (!List.of("latest", "committed").contains(consistency)) {
      throw new IllegalArgumentException(
          "consistency must be 'latest' or 'committed', was '" + consistency + "'");
    }
    if (debug && replica.equals("any")) {
      throw new IllegalArgumentException("the debug view reads the active task only");
    }
    return new Query(address, state, debug, replica.equals("any"), consistency.equals("committed"));
  }

  private void serve(HttpServerRequest request, Query q) {
    if (!queries.knownType(q.address())) {
      error(
          request,
          404,
          "unknown-function-type",
          "no endpoint of the module serves function type " + q.address().type());
      return;
    }
    int partition = queries.partitionOf(q.address());
    if (queries.activeHere(partition)) {
      local(request, q, partition, "active", null);
      return;
    }
    if (q.replicaAny()) {
      Optional<Long> lag = queries.localLag(partition);
      if (lag.isPresent()) {
        local(request, q, partition, "standby", lag.get());
        return;
      }
    }
    String proxiedBy = request.getHeader(PROXIED_HEADER);
    if (proxiedBy != null) {
      unavailable(
          request,
          "partition-moved",
          "partition "
              + partition
              + " of "
              + q.address()
              + " is not served by this instance any more (proxied by "
              + proxiedBy
              + "); retry");
      return;
    }
    KeyQueryMetadata owner = queries.owner(q.address());
    HostInfo target = null;
    boolean restoringHere = false;
    if (owner != null && owner != KeyQueryMetadata.NOT_AVAILABLE && owner.activeHost().port() > 0) {
      if (!owner.activeHost().equals(self)) {
        target = owner.activeHost();
      } else {
        restoringHere = true;
        if (q.replicaAny()) {
          target =
              owner.standbyHosts().stream().filter(h -> !h.equals(self)).findFirst().orElse(null);
        }
      }
    }
    if (target == null) {
      unavailable(
          request,
          restoringHere ? "partition-restoring" : "partition-unavailable",
          restoringHere
              ? "partition " + partition + " of " + q.address() + " is being restored here; retry"
              : "no instance serves partition "
                  + partition
                  + " of "
                  + q.address()
                  + " now (rebalancing); retry");
      return;
    }
    forward(request, target, partition);
  }

  // --- local reads ------------------------------------------------------------------------------

  private void local(HttpServerRequest request, Query q, int partition, String replica, Long lag) {
    if (q.debug()) {
      debug(request, q, partition);
      return;
    }
    StoredState state;
    try {
      state = queries.state(q.address());
    } catch (RuntimeException e) {
      unavailable(
          request,
          "partition-unavailable",
          "partition " + partition + " of " + q.address() + " cannot be read here now: " + e);
      return;
    }
    if (!q.committed() || !replica.equals("active")) {
      // A standby restores with read_committed: what it holds is committed already.
      answer(request, q, partition, replica, lag, state);
      return;
    }
    // Read first, then wait for a commit of the owning thread that completes after the read: that
    // commit covers every write the read saw. The doorbell ring makes the task process a record,
    // so that the thread has something to commit even when it is idle.
    java.util.function.LongSupplier commits = queries.commitCounter(partition);
    long before = commits == null ? -1 : commits.getAsLong();
    if (before < 0) {
      unavailable(request, "partition-moved", "partition " + partition + " left this instance");
      return;
    }
    queries.wake(partition);
    long deadline = System.nanoTime() + COMMIT_WAIT_MS * 1_000_000;
    vertx.setPeriodic(
        5,
        timer -> {
          if (request.response().ended() || request.response().closed()) {
            vertx.cancelTimer(timer);
            return;
          }
          long now = commits.getAsLong();
          if (now > before) {
            vertx.cancelTimer(timer);
            answer(request, q, partition, replica, lag, state);
          } else if (now < 0 || !queries.activeHere(partition)) {
            vertx.cancelTimer(timer);
            unavailable(
                request,
                "partition-moved",
                "partition " + partition + " left this instance before its next commit; retry");
          } else if (System.nanoTime() > deadline) {
            vertx.cancelTimer(timer);
            unavailable(
                request,
                "commit-timeout",
                "no commit of partition " + partition + " within " + COMMIT_WAIT_MS + " ms; retry");
          }
        });
  }

  private void answer(
      HttpServerRequest request,
      Query q,
      int partition,
      String replica,
      Long lag,
      StoredState state) {
    long now = clock.getAsLong();
    HttpServerResponse response = request.response();
    response
        .putHeader("Kstatefun-Served-By", self.host() + ":" + self.port())
        .putHeader("Kstatefun-Partition", Integer.toString(partition))
        .putHeader("Kstatefun-Replica", replica)
        .putHeader("Kstatefun-Consistency", q.committed() ? "committed" : "latest");
    if (lag != null) {
      response.putHeader("Kstatefun-Lag-Records", Long.toString(lag));
    }
    List<StoredValue> values =
        state == null
            ? List.of()
            : state.getValuesList().stream()
                .filter(v -> v.getExpiresAtMs() == 0 || v.getExpiresAtMs() > now)
                .toList();
    if (q.stateName() != null) {
      StoredValue value =
          values.stream().filter(v -> v.getName().equals(q.stateName())).findFirst().orElse(null);
      if (value == null) {
        error(
            request,
            404,
            "no-value",
            q.address() + " has no value '" + q.stateName() + "' (never set, deleted or expired)");
        return;
      }
      response.putHeader("Statefun-Type", value.getTypename());
      if (value.getExpiresAtMs() > 0) {
        response.putHeader("Kstatefun-Expires-At-Ms", Long.toString(value.getExpiresAtMs()));
      }
      response
          .putHeader("Content-Type", "application/octet-stream")
          .end(Buffer.buffer(value.getValue().toByteArray()));
      return;
    }
    JsonObject byName = new JsonObject();
    for (StoredValue v : values) {
      byName.put(v.getName(), StateValues.json(v));
    }
    JsonObject body =
        new JsonObject()
            .put("address", address(q.address()))
            .put("partition", partition)
            .put("servedBy", self.host() + ":" + self.port())
            .put("replica", replica)
            .put("consistency", q.committed() ? "committed" : "latest")
            .put("values", byName);
    if (lag != null) {
      body.put("lagRecords", lag);
    }
    json(response, 200, body);
  }

  private void debug(HttpServerRequest request, Query q, int partition) {
    vertx
        .executeBlocking(() -> queries.debug(q.address(), MAX_TIMERS_SCANNED), false)
        .onComplete(
            ar -> {
              if (ar.failed()) {
                unavailable(
                    request,
                    "partition-unavailable",
                    "the debug view of " + q.address() + " failed here: " + ar.cause());
                return;
              }
              json(request.response(), 200, debugJson(q.address(), ar.result(), clock.getAsLong()));
            });
  }

  JsonObject debugJson(Address address, StateQueries.Debug d, long now) {
    JsonObject mailbox = new JsonObject();
    long backlog = d.header() == null ? 0 : d.header().getNextSeq() - d.header().getHeadSeq();
    mailbox.put("backlog", backlog);
    if (d.header() != null) {
      mailbox.put("headSeq", d.header().getHeadSeq()).put("nextSeq", d.header().getNextSeq());
    }
    if (d.oldest() != null) {
      mailbox.put("oldest", envelope(d.oldest()));
    }
    JsonObject body =
        new JsonObject()
            .put("address", address(address))
            .put("partition", d.partition())
            .put("servedBy", self.host() + ":" + self.port())
            .put("nowMs", now)
            .put("mailbox", mailbox);
    Dispatcher.InFlightView flight = d.inFlight();
    if (flight != null) {
      body.put(
          "inFlight",
          new JsonObject()
              .put("requestId", flight.requestId())
              .put("messages", flight.end() - flight.head())
              .put("sentAtMs", flight.sentAtMs())
              .put("ageMs", Math.max(0, now - flight.sentAtMs()))
              .put("negotiations", flight.negotiations()));
    }
    JsonArray timers = new JsonArray();
    for (PendingTimer t : d.timers().subList(0, Math.min(d.timers().size(), MAX_TIMERS_LISTED))) {
      JsonObject timer =
          new JsonObject().put("dueMs", t.getDueMs()).put("inMs", t.getDueMs() - now);
      if (t.hasExpiryCheck()) {
        timer.put("kind", "state-expiry-check");
      } else {
        Address target = Address.fromProto(t.getEnvelope().getTarget());
        timer.put("kind", target.equals(address) ? "delayed-message-to" : "delayed-message-from");
        timer.put("envelope", envelope(t.getEnvelope()));
        if (!t.getCancellationToken().isEmpty()) {
          timer.put("cancellationToken", t.getCancellationToken());
        }
      }
      timers.add(timer);
    }
    body.put(
        "timers",
        new JsonObject()
            .put("found", d.timers().size())
            .put("listed", timers)
            .put("scanned", d.timersScanned())
            .put("complete", d.timersComplete()));
    body.put(
        "task",
        new JsonObject()
            .put("inFlight", d.taskInFlight())
            .put("maxInFlight", d.taskMaxInFlight())
            .put("waitingForSlot", d.taskWaiting())
            .put("pendingTimers", d.taskTimers()));
    body.put("diagnosis", diagnosis(backlog, flight, d, now));
    return body;
  }

  /** A one-line answer to "why is my function stuck". */
  static String diagnosis(
      long backlog, Dispatcher.InFlightView flight, StateQueries.Debug d, long now) {
    if (flight != null) {
      return "a request with "
          + (flight.end() - flight.head())
          + " message(s) has been in flight for "
          + Math.max(0, now - flight.sentAtMs())
          + " ms; "
          + backlog
          + " message(s) queued in total (the function endpoint is slow, retrying or unreachable"
          + " if this grows)";
    }
    if (backlog > 0) {
      return backlog
          + " message(s) queued and nothing in flight: waiting for an in-flight slot ("
          + d.taskInFlight()
          + " of "
          + d.taskMaxInFlight()
          + " in flight in this task, "
          + d.taskWaiting()
          + " addresses waiting) or for the task's next pass";
    }
    if (!d.timers().isEmpty()) {
      return "idle; " + d.timers().size() + " timer(s) pending";
    }
    return "idle: nothing queued, in flight or pending";
  }

  private static JsonObject envelope(Envelope e) {
    JsonObject out = new JsonObject();
    if (e.hasCaller()) {
      out.put("caller", address(Address.fromProto(e.getCaller())));
    }
    if (e.hasArgument()) {
      out.put("typename", e.getArgument().getTypename())
          .put("bytes", e.getArgument().getValue().size());
    }
    if (e.hasOrigin()) {
      out.put(
          "origin",
          e.getOrigin().getTopic()
              + "-"
              + e.getOrigin().getPartition()
              + "@"
              + e.getOrigin().getOffset());
      out.put("originTimestampMs", e.getOrigin().getTimestampMs());
    }
    return out;
  }

  private static JsonObject address(Address a) {
    return new JsonObject()
        .put("namespace", a.type().namespace())
        .put("type", a.type().name())
        .put("id", a.id());
  }

  // --- proxying ---------------------------------------------------------------------------------

  private void forward(HttpServerRequest request, HostInfo target, int partition) {
    RequestOptions options =
        new RequestOptions()
            .setMethod(HttpMethod.GET)
            .setHost(target.host())
            .setPort(target.port())
            .setURI(request.uri())
            .setTimeout(PROXY_TIMEOUT_MS)
            .putHeader(PROXIED_HEADER, self.host() + ":" + self.port());
    String auth = request.getHeader("Authorization");
    if (auth != null) {
      options.putHeader("Authorization", auth);
    }
    proxy
        .request(options)
        .compose(r -> r.send())
        .compose(r -> r.body().map(body -> new Object[] {r, body}))
        .onComplete(
            ar -> {
              HttpServerResponse response = request.response();
              if (ar.failed()) {
                unavailable(
                    request,
                    "proxy-failed",
                    "the owner of partition "
                        + partition
                        + " ("
                        + target.host()
                        + ":"
                        + target.port()
                        + ") did not answer: "
                        + ar.cause().getMessage()
                        + "; retry");
                return;
              }
              io.vertx.core.http.HttpClientResponse r =
                  (io.vertx.core.http.HttpClientResponse) ar.result()[0];
              Buffer body = (Buffer) ar.result()[1];
              response.setStatusCode(r.statusCode());
              r.headers()
                  .forEach(
                      h -> {
                        String name = h.getKey();
                        if (!name.equalsIgnoreCase("Content-Length")
                            && !name.equalsIgnoreCase("Transfer-Encoding")
                            && !name.equalsIgnoreCase("Connection")) {
                          response.headers().add(name, h.getValue());
                        }
                      });
              response.putHeader(PROXIED_HEADER, self.host() + ":" + self.port());
              response.end(body);
            });
  }

  // --- answers ----------------------------------------------------------------------------------

  private static void unavailable(HttpServerRequest request, String reason, String message) {
    request.response().putHeader("Retry-After", "1");
    error(request, 503, reason, message);
  }

  static void error(HttpServerRequest request, int status, String reason, String message) {
    HttpServerResponse response = request.response();
    if (response.ended()) {
      return;
    }
    json(
        response.putHeader(ApiServer.ERROR_HEADER, reason),
        status,
        new JsonObject().put("error", reason).put("message", message));
  }

  private static void json(HttpServerResponse response, int status, JsonObject body) {
    if (response.ended()) {
      return;
    }
    response
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json")
        .end(body.encode() + "\n");
  }
}
