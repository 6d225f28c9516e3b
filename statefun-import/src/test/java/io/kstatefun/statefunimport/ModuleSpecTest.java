package io.kstatefun.statefunimport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModuleSpecTest {

  private static final String MODULE =
      """
      kind: io.statefun.endpoints.v2/http
      spec:
        functions: com.example/*
        urlPathTemplate: http://functions/{function.name}
      ---
      kind: io.statefun.endpoints.v2/http
      spec:
        functions: shop/cart
        urlPathTemplate: http://cart/
      ---
      kind: io.statefun.kafka.v1/ingress
      spec:
        id: shop/orders
        address: kafka:9092
        consumerGroupId: shop
        topics:
          - topic: orders
            valueType: shop/order
            targets:
              - shop/cart
      ---
      kind: io.statefun.kafka.v1/egress
      spec:
        id: shop/out
        address: kafka:9092
      """;

  @Test
  void shouldResolveStatefunStateNamesOfBoundFunctionTypesOnly(@TempDir Path dir) throws Exception {
    ModuleSpec spec = ModuleSpec.parse(Files.writeString(dir.resolve("module.yaml"), MODULE));

    assertThat(spec.resolveFlinkStateName("shop.cart.items")).containsExactly("shop/cart", "items");
    // A namespace with dots, bound by a namespace pattern.
    assertThat(spec.resolveFlinkStateName("com.example.greeter.seen_count"))
        .containsExactly("com.example/greeter", "seen_count");
    assertThat(spec.resolveFlinkStateName("shop.checkout.total")).isNull();
    assertThat(spec.resolveFlinkStateName("delayed-messages-buffer")).isNull();
    assertThat(spec.isRemote("shop/cart")).isTrue();
    assertThat(spec.isRemote("com.example/anything")).isTrue();
    assertThat(spec.isRemote("shop/checkout")).isFalse();
  }

  @Test
  void shouldNameTheOperatorUidsStatefunGivesKafkaIngressesAndEgresses(@TempDir Path dir)
      throws Exception {
    ModuleSpec spec = ModuleSpec.parse(Files.writeString(dir.resolve("module.yaml"), MODULE));

    assertThat(spec.kafkaIngresses()).hasSize(1);
    ModuleSpec.KafkaIngress ingress = spec.kafkaIngresses().get(0);
    assertThat(ingress.topics()).containsExactly("orders");
    assertThat(ingress.sourceUid())
        .isEqualTo("statefun.kafka.io-universal-ingress-shop-orders-ingress");
    assertThat(spec.kafkaEgresses()).containsExactly("shop/out");
    assertThat(ModuleSpec.egressSinkUid("shop/out"))
        .isEqualTo("statefun.kafka.io-universal-egress-shop-out-egress");
  }
}
