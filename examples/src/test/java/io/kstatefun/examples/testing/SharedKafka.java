package io.kstatefun.examples.testing;

import io.kstatefun.localkafka.LocalKafkaBroker;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One in-process broker for all example tests of a test run, started on first use and closed when
 * the run ends (JUnit closes resources of the root context store last). Starting a broker costs
 * seconds on a busy 2-core machine, so the test classes share it; each class uses its own topics
 * and each runtime its own application id.
 *
 * <pre>{@code
 * @ExtendWith(SharedKafka.class)
 * class SomeIT {
 *   @BeforeAll
 *   static void start(LocalKafkaBroker kafka) { ... }
 * }
 * }</pre>
 */
public final class SharedKafka implements ParameterResolver {

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == LocalKafkaBroker.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context
        .getRoot()
        .getStore(ExtensionContext.Namespace.create(SharedKafka.class))
        .getOrComputeIfAbsent(
            "broker", key -> new Resource(LocalKafkaBroker.builder().start()), Resource.class)
        .broker();
  }

  private record Resource(LocalKafkaBroker broker)
      implements ExtensionContext.Store.CloseableResource {
    @Override
    public void close() {
      broker.close();
    }
  }
}
