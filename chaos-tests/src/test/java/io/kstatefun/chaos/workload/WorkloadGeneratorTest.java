package io.kstatefun.chaos.workload;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class WorkloadGeneratorTest {

  private static final WorkloadGenerator.Params PARAMS =
      new WorkloadGenerator.Params(5, 200, 3, 4, 100, 2_000, 30_000, 100);

  @Test
  void shouldGenerateTheSameWorkloadFromTheSameSeed() {
    assertThat(Json.string(new WorkloadGenerator(PARAMS, 42).generate()))
        .isEqualTo(Json.string(new WorkloadGenerator(PARAMS, 42).generate()));
    assertThat(Json.string(new WorkloadGenerator(PARAMS, 42).generate()))
        .isNotEqualTo(Json.string(new WorkloadGenerator(PARAMS, 43).generate()));
  }

  @Test
  void shouldUseEveryCommandKindAndUniqueIds() {
    List<WorkloadGenerator.Tree> trees = new WorkloadGenerator(PARAMS, 7).generate();
    Set<String> ops = new HashSet<>();
    Set<Long> uids = new HashSet<>();
    List<Command> all = new ArrayList<>();
    for (WorkloadGenerator.Tree t : trees) {
      assertThat(uids.add(t.uid())).isTrue();
      collect(t.cmds(), all);
    }
    for (Command c : all) {
      ops.add(c.op());
      if (c.uid() != 0) {
        assertThat(uids.add(c.uid())).as("uid %d unique", c.uid()).isTrue();
      }
    }
    assertThat(ops)
        .containsExactlyInAnyOrder(
            Command.INC, Command.SEND, Command.AFTER, Command.CANCEL, Command.EGRESS);
    assertThat(uids).allMatch(u -> u < WorkloadGenerator.DRIVER_UID_BASE);
  }

  @Test
  void shouldScheduleDeferredCancellationsOnlyInTheFirstTrees() {
    List<WorkloadGenerator.Tree> trees = new WorkloadGenerator(PARAMS, 11).generate();
    for (int i = PARAMS.deferredCancelTrees(); i < trees.size(); i++) {
      List<Command> all = new ArrayList<>();
      collect(trees.get(i).cmds(), all);
      assertThat(all)
          .noneMatch(
              c -> c.op().equals(Command.AFTER) && c.delayMs() == PARAMS.deferredCancelDelayMs());
    }
  }

  @Test
  void shouldRoundTripMessagesThroughJson() {
    ChaosMessage m =
        new ChaosMessage(
            5,
            "ours/w1",
            3,
            List.of(
                Command.inc(),
                Command.send(FnAddress.parse("official/w2"), 6, List.of(Command.egress(7))),
                Command.after(FnAddress.parse("ours/w0"), 8, 1500, "t8", List.of()),
                Command.cancel("t8"),
                Command.verify(12)));
    assertThat(Json.message(Json.bytes(m))).isEqualTo(m);
    assertThat(Json.string(Command.inc())).isEqualTo("{\"op\":\"inc\"}");
  }

  private static void collect(List<Command> cmds, List<Command> out) {
    for (Command c : cmds) {
      out.add(c);
      collect(c.cmds(), out);
    }
  }
}
