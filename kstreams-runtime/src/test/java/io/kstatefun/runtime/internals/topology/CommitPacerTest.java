package io.kstatefun.runtime.internals.topology;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CommitPacerTest {

  @Test
  void firstRequestIsAllowedAtOnceAndTheNextWaitsOutTheInterval() {
    CommitPacer pacer = new CommitPacer(20);
    CommitPacer.ThreadState t = pacer.thread();
    assertThat(pacer.tryRequest(t, 1_000)).isZero();
    assertThat(pacer.tryRequest(t, 1_005)).isEqualTo(15);
    assertThat(pacer.tryRequest(t, 1_019)).isEqualTo(1);
    assertThat(pacer.tryRequest(t, 1_020)).isZero();
  }

  @Test
  void aCommitRequestedByAnotherTaskCoversEarlierOutput() {
    CommitPacer pacer = new CommitPacer(20);
    CommitPacer.ThreadState t = pacer.thread();
    long epoch = pacer.epoch(t); // task A notes output
    assertThat(pacer.stillPending(t, epoch)).isTrue();
    assertThat(pacer.tryRequest(t, 5_000)).isZero(); // task B's request commits the whole thread
    assertThat(pacer.stillPending(t, epoch)).isFalse();
  }

  @Test
  void onlyOneTaskArrangesTheWakeUpUntilACommitOrACancellation() {
    CommitPacer pacer = new CommitPacer(20);
    CommitPacer.ThreadState t = pacer.thread();
    pacer.tryRequest(t, 0);
    assertThat(pacer.arrangeWake(t)).isTrue();
    assertThat(pacer.arrangeWake(t)).isFalse();
    pacer.wakeCancelled(t);
    assertThat(pacer.arrangeWake(t)).isTrue();
    assertThat(pacer.tryRequest(t, 25)).isZero();
    assertThat(pacer.arrangeWake(t)).isTrue();
  }

  @Test
  void zeroIntervalAllowsEveryRequest() {
    CommitPacer pacer = new CommitPacer(0);
    CommitPacer.ThreadState t = pacer.thread();
    assertThat(pacer.tryRequest(t, 7)).isZero();
    assertThat(pacer.tryRequest(t, 7)).isZero();
  }

  @Test
  void streamThreadsArePacedIndependently() throws Exception {
    CommitPacer pacer = new CommitPacer(20);
    assertThat(pacer.tryRequest(pacer.thread(), 100)).isZero();
    long[] other = new long[1];
    Thread thread = new Thread(() -> other[0] = pacer.tryRequest(pacer.thread(), 101));
    thread.start();
    thread.join();
    assertThat(other[0]).isZero();
    assertThat(pacer.tryRequest(pacer.thread(), 101)).isEqualTo(19);
  }

  @Test
  void aLightlyLoadedThreadUsesTheShortIntervalAndABusyOneTheLongOne() {
    CommitPacer pacer = new CommitPacer(20, 5, 3);
    CommitPacer.ThreadState t = pacer.thread();
    assertThat(pacer.tryRequest(t, 1_000)).isZero();
    pacer.recordProcessed(t);
    pacer.recordProcessed(t);
    assertThat(pacer.tryRequest(t, 1_002)).isEqualTo(3); // light: 5 ms
    assertThat(pacer.tryRequest(t, 1_005)).isZero();
    for (int i = 0; i < 4; i++) {
      pacer.recordProcessed(t);
    }
    assertThat(pacer.tryRequest(t, 1_010)).isEqualTo(15); // busy: 20 ms
    assertThat(pacer.tryRequest(t, 1_025)).isZero();
    // The count starts again with each requested commit.
    assertThat(pacer.tryRequest(t, 1_030)).isZero();
  }

  @Test
  void theLightIntervalNeverExceedsTheIntervalUnderLoad() {
    CommitPacer pacer = new CommitPacer(10, 50, 100);
    CommitPacer.ThreadState t = pacer.thread();
    assertThat(pacer.tryRequest(t, 0)).isZero();
    assertThat(pacer.tryRequest(t, 4)).isEqualTo(6);
  }
}
