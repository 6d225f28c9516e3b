package io.kstatefun.chaos.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ShadowModelTest {

  private static final FnAddress A = FnAddress.parse("official/w0");
  private static final FnAddress B = FnAddress.parse("ours/w1");

  @Test
  void shouldCountIncrementsOfEveryDeliveredMessageAtItsReceiver() {
    ShadowModel model = new ShadowModel();
    model.addIngress(
        A,
        new ChaosMessage(
            1,
            ChaosMessage.DRIVER,
            1,
            List.of(
                Command.inc(),
                Command.send(
                    B,
                    2,
                    List.of(
                        Command.inc(), Command.inc(), Command.send(A, 3, List.of(Command.inc())))),
                Command.after(B, 4, 500, null, List.of(Command.inc())),
                Command.egress(5))));

    assertThat(model.count(A)).isEqualTo(2);
    assertThat(model.count(B)).isEqualTo(3);
    assertThat(model.delivered()).containsOnlyKeys(1L, 2L, 3L, 4L);
    assertThat(model.delivered().get(4L).ordered()).isFalse();
    assertThat(model.pairs())
        .containsExactlyInAnyOrderEntriesOf(
            java.util.Map.of(
                ShadowModel.pair("driver", A.toString()), 1L,
                ShadowModel.pair(A.toString(), B.toString()), 1L,
                ShadowModel.pair(B.toString(), A.toString()), 1L));
    assertThat(model.egress()).containsExactly(5L);
  }

  @Test
  void shouldExpectCancelledMessagesNeverToArrive() {
    ShadowModel model = new ShadowModel();
    model.addIngress(
        A,
        new ChaosMessage(
            1,
            ChaosMessage.DRIVER,
            1,
            List.of(
                Command.after(B, 2, 1000, "t2", List.of()),
                Command.cancel("t2"),
                Command.after(B, 3, 40_000, "t3", List.of()),
                Command.send(A, 4, List.of(Command.cancel("t3"))))));

    assertThat(model.delivered()).containsOnlyKeys(1L, 4L);
    assertThat(model.cancelled()).containsOnlyKeys(2L, 3L);
    assertThat(model.cancelled().get(2L).deferred()).isFalse();
    assertThat(model.cancelled().get(3L).deferred()).isTrue();
    assertThat(model.cancelled().get(3L).cancelledBy()).isEqualTo(4L);
    assertThat(model.cancelled().get(3L).scheduledBy()).isEqualTo(1L);
  }

  @Test
  void shouldRejectAMessageIdUsedTwice() {
    ShadowModel model = new ShadowModel();
    model.addIngress(A, new ChaosMessage(1, ChaosMessage.DRIVER, 1, List.of(Command.inc())));
    assertThatThrownBy(
            () -> model.addIngress(B, new ChaosMessage(1, ChaosMessage.DRIVER, 1, List.of())))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldAgreeWithTheGeneratorOnEveryGeneratedMessage() {
    WorkloadGenerator.Params params =
        new WorkloadGenerator.Params(4, 100, 3, 4, 100, 2_000, 30_000, 50);
    ShadowModel model = new ShadowModel();
    long seq = 0;
    for (WorkloadGenerator.Tree t : new WorkloadGenerator(params, 3).generate()) {
      model.addIngress(t.target(), new ChaosMessage(t.uid(), ChaosMessage.DRIVER, ++seq, t.cmds()));
    }
    assertThat(model.messageCount()).isGreaterThan(100);
    assertThat(model.cancelled()).isNotEmpty();
    assertThat(model.cancelled().values()).anyMatch(ShadowModel.Cancelled::deferred);
    assertThat(model.counts().values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(model.delivered().values().stream().mapToLong(ShadowModel.Expected::incs).sum());
  }
}
