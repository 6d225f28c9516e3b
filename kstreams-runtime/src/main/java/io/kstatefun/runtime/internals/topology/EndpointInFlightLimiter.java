package io.kstatefun.runtime.internals.topology;

import io.kstatefun.routing.FunctionType;
import io.kstatefun.routing.module.EndpointRouter;
import io.kstatefun.routing.module.HttpEndpointSpec;
import io.kstatefun.runtime.internals.dispatch.InFlightLimiter;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code maxInFlight} endpoint extension: at most that many concurrent requests to an endpoint
 * from this runtime instance (all its tasks). Endpoints without {@code maxInFlight} are not limited
 * here (the per-task limit {@code kstatefun.max.in.flight.per.task} still applies). The limit is
 * per instance: N instances may send up to N times {@code maxInFlight} requests.
 *
 * <p>A task that finds no free slot is remembered and woken through its doorbell when one frees up;
 * the safety-net punctuation retries anyway, so a lost wake-up only delays.
 *
 * <p>Threading: thread-safe; shared by all stream threads of an instance.
 */
final class EndpointInFlightLimiter implements InFlightLimiter {

  private final Map<FunctionType, Optional<Slots>> byType = new ConcurrentHashMap<>();
  private final Map<HttpEndpointSpec, Slots> byEndpoint = new ConcurrentHashMap<>();
  private final EndpointRouter router;
  private final Waker waker;

  private static final class Slots {
    final int max;
    final AtomicInteger used = new AtomicInteger();
    final Set<Integer> waiting = ConcurrentHashMap.newKeySet();

    Slots(int max) {
      this.max = max;
    }
  }

  EndpointInFlightLimiter(EndpointRouter router, Waker waker) {
    this.router = router;
    this.waker = waker;
  }

  private Optional<Slots> slots(FunctionType type) {
    return byType.computeIfAbsent(
        type,
        t ->
            router
                .endpointFor(t)
                .filter(spec -> spec.maxInFlight().isPresent())
                .map(
                    spec ->
                        byEndpoint.computeIfAbsent(
                            spec, s -> new Slots(s.maxInFlight().getAsInt()))));
  }

  @Override
  public boolean tryAcquire(FunctionType type, int partition) {
    Optional<Slots> maybe = slots(type);
    if (maybe.isEmpty()) {
      return true;
    }
    Slots slots = maybe.get();
    // Register before checking, so a release between the check and the registration still wakes us.
    slots.waiting.add(partition);
    while (true) {
      int used = slots.used.get();
      if (used >= slots.max) {
        return false;
      }
      if (slots.used.compareAndSet(used, used + 1)) {
        slots.waiting.remove(partition);
        return true;
      }
    }
  }

  @Override
  public void release(FunctionType type) {
    Optional<Slots> maybe = slots(type);
    if (maybe.isEmpty()) {
      return;
    }
    Slots slots = maybe.get();
    slots.used.decrementAndGet();
    if (!slots.waiting.isEmpty()) {
      for (Integer partition : slots.waiting) {
        if (slots.waiting.remove(partition)) {
          waker.wake(partition);
        }
      }
    }
  }

  /**
   * Requests in flight to {@code type}'s endpoint, or -1 if it is not limited (for tests and
   * metrics).
   */
  int inFlight(FunctionType type) {
    return slots(type).map(s -> s.used.get()).orElse(-1);
  }
}
