package io.kstatefun.routing.module;

import io.kstatefun.routing.TypeName;
import io.kstatefun.routing.module.internals.IngressChecks;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The components of an application: HTTP endpoints, Kafka ingresses and Kafka egresses, from one or
 * more module files.
 *
 * <p>A module spec is always consistent: each function type and each namespace wildcard is bound by
 * at most one endpoint, ingress ids and egress ids are unique, and ingresses that share a topic
 * agree on its error policy. Violations throw {@link ModuleConfigException} naming both components.
 *
 * @param endpoints the HTTP endpoints, in declaration order
 * @param ingresses the Kafka ingresses, in declaration order
 * @param egresses the Kafka egresses, in declaration order
 */
public record ModuleSpec(
    List<HttpEndpointSpec> endpoints,
    List<KafkaIngressSpec> ingresses,
    List<KafkaEgressSpec> egresses) {

  /** Validates the components and makes the spec immutable. */
  public ModuleSpec {
    endpoints = List.copyOf(endpoints);
    ingresses = List.copyOf(ingresses);
    egresses = List.copyOf(egresses);
    EndpointRouter.of(endpoints);
    requireUniqueIds(ingresses, KafkaIngressSpec::id, KafkaIngressSpec::origin, "ingress");
    requireUniqueIds(egresses, KafkaEgressSpec::id, KafkaEgressSpec::origin, "egress");
    IngressChecks.requireConsistentSharedTopics(ingresses);
  }

  /** Returns a spec without components. */
  public static ModuleSpec empty() {
    return new ModuleSpec(List.of(), List.of(), List.of());
  }

  /**
   * Combines several specs, keeping the order of the arguments.
   *
   * @param specs the specs, e.g. one per module file
   * @return the combined spec
   * @throws ModuleConfigException if components of different specs conflict
   */
  public static ModuleSpec merge(Collection<ModuleSpec> specs) {
    List<HttpEndpointSpec> endpoints = new ArrayList<>();
    List<KafkaIngressSpec> ingresses = new ArrayList<>();
    List<KafkaEgressSpec> egresses = new ArrayList<>();
    for (ModuleSpec spec : specs) {
      endpoints.addAll(spec.endpoints());
      ingresses.addAll(spec.ingresses());
      egresses.addAll(spec.egresses());
    }
    return new ModuleSpec(endpoints, ingresses, egresses);
  }

  /**
   * Combines this spec with another; this spec's components come first.
   *
   * @param other the other spec
   * @return the combined spec
   * @throws ModuleConfigException if components of the two specs conflict
   */
  public ModuleSpec merge(ModuleSpec other) {
    return merge(List.of(this, other));
  }

  /** Returns a router over this spec's endpoints. */
  public EndpointRouter endpointRouter() {
    return EndpointRouter.of(endpoints);
  }

  /** Returns the ingress with the given id, if declared. */
  public Optional<KafkaIngressSpec> ingress(TypeName id) {
    return ingresses.stream().filter(ingress -> ingress.id().equals(id)).findFirst();
  }

  /** Returns the egress with the given id, if declared. */
  public Optional<KafkaEgressSpec> egress(TypeName id) {
    return egresses.stream().filter(egress -> egress.id().equals(id)).findFirst();
  }

  private static <T> void requireUniqueIds(
      List<T> components, Function<T, TypeName> id, Function<T, String> origin, String what) {
    Map<TypeName, T> seen = new HashMap<>();
    for (T component : components) {
      T previous = seen.putIfAbsent(id.apply(component), component);
      if (previous != null) {
        throw new ModuleConfigException(
            "Duplicate "
                + what
                + " id "
                + id.apply(component)
                + ": declared by both "
                + origin.apply(previous)
                + " and "
                + origin.apply(component));
      }
    }
  }
}
