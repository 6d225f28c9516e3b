package io.kstatefun.runtime.internals.failover;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeathDetectorTest {

  private static final String PEER = "10.0.0.2:9100";
  private static final PeerIdentity RUNNING =
      new PeerIdentity("app", "pid-1", "app-inst-1", List.of(1, 2), "RUNNING");
  private static final ProbeResult REFUSED = new ProbeResult.Refused("Connection refused");
  private static final ProbeResult TIMEOUT = new ProbeResult.Unknown("Read timed out");

  @Test
  void shouldDeclareAPeerDeadAfterTwoConsecutiveRefusals() {
    DeathDetector detector = new DeathDetector(2, 60_000);
    assertThat(detector.onProbe(PEER, new ProbeResult.Alive(RUNNING))).isEmpty();
    assertThat(detector.onProbe(PEER, REFUSED)).isEmpty();
    List<DeathDetector.Death> deaths = detector.onProbe(PEER, REFUSED);
    assertThat(deaths).hasSize(1);
    DeathDetector.Death death = deaths.get(0);
    assertThat(death.endpoint()).isEqualTo(PEER);
    assertThat(death.identity()).isEqualTo(RUNNING);
    assertThat(death.fenceProducers()).isTrue();
    assertThat(death.identity().transactionalIds()).containsExactly("app-pid-1-1", "app-pid-1-2");
    assertThat(death.identity().memberInstanceIds())
        .containsExactly("app-inst-1-1", "app-inst-1-2");
  }

  @Test
  void shouldAskForAConfirmingProbeAfterARefusalOfAKnownPeer() {
    DeathDetector detector = new DeathDetector(2, 60_000);
    assertThat(detector.awaitingConfirmation(PEER)).isFalse();
    detector.onProbe(PEER, REFUSED);
    assertThat(detector.awaitingConfirmation(PEER)).as("identity unknown").isFalse();
    detector.onProbe(PEER, new ProbeResult.Alive(RUNNING));
    detector.onProbe(PEER, REFUSED);
    assertThat(detector.awaitingConfirmation(PEER)).isTrue();
    detector.onProbe(PEER, REFUSED);
    assertThat(detector.awaitingConfirmation(PEER)).as("reported").isFalse();
  }

  @Test
  void shouldReportADeathOnceUntilThePeerAnswersAgain() {
    DeathDetector detector = new DeathDetector(2, 60_000);
    detector.onProbe(PEER, new ProbeResult.Alive(RUNNING));
    detector.onProbe(PEER, REFUSED);
    assertThat(detector.onProbe(PEER, REFUSED)).hasSize(1);
    assertThat(detector.onProbe(PEER, REFUSED)).isEmpty();
    assertThat(detector.onProbe(PEER, REFUSED)).isEmpty();
    detector.onProbe(PEER, new ProbeResult.Alive(RUNNING));
    detector.onProbe(PEER, REFUSED);
    assertThat(detector.onProbe(PEER, REFUSED)).hasSize(1);
  }

  @Test
  void shouldNotDeclareDeathWhenATimeoutBreaksTheRefusals() {
    DeathDetector detector = new DeathDetector(2, 60_000);
    detector.onProbe(PEER, new ProbeResult.Alive(RUNNING));
    assertThat(detector.onProbe(PEER, REFUSED)).isEmpty();
    assertThat(detector.onProbe(PEER, TIMEOUT)).isEmpty();
    assertThat(detector.onProbe(PEER, REFUSED)).isEmpty();
    assertThat(detector.onProbe(PEER, TIMEOUT)).isEmpty();
  }

  @Test
  void shouldNeverDeclareAPausedPeerDead() {
    DeathDetector detector = new DeathDetector(2, 60_000);
    detector.onProbe(PEER, new ProbeResult.Alive(RUNNING));
    for (int i = 0; i < 100; i++) {
      assertThat(detector.onProbe(PEER, TIMEOUT)).isEmpty();
    }
  }

  @Test
  void shouldNotActOnAPeerWhoseIdentityItNeverLearned() {
    DeathDetector detector = new DeathDetector(2, 60_000);
    detector.onProbe(PEER, new ProbeResult.Alive(null));
    for (int i = 0; i < 5; i++) {
      assertThat(detector.onProbe(PEER, REFUSED)).isEmpty();
    }
  }

  @Test
  void shouldNotActOnAPeerThatWasShuttingDown() {
    DeathDetector detector = new DeathDetector(2, 60_000);
    detector.onProbe(PEER, new ProbeResult.Alive(RUNNING));
    detector.onProbe(
        PEER,
        new ProbeResult.Alive(
            new PeerIdentity("app", "pid-1", "app-inst-1", List.of(1, 2), "PENDING_SHUTDOWN")));
    for (int i = 0; i < 5; i++) {
      assertThat(detector.onProbe(PEER, REFUSED)).isEmpty();
    }
  }

  @Test
  void shouldRemoveButNotFenceAnIncarnationReplacedUnderTheSameProcessId() {
    DeathDetector detector = new DeathDetector(2, 60_000);
    detector.onProbe(PEER, new ProbeResult.Alive(RUNNING));
    PeerIdentity restarted = new PeerIdentity("app", "pid-1", "app-inst-2", List.of(1), "RUNNING");
    List<DeathDetector.Death> deaths = detector.onProbe(PEER, new ProbeResult.Alive(restarted));
    assertThat(deaths).hasSize(1);
    assertThat(deaths.get(0).identity()).isEqualTo(RUNNING);
    assertThat(deaths.get(0).fenceProducers()).isFalse();
    assertThat(detector.identity(PEER)).isEqualTo(restarted);
  }

  @Test
  void shouldFenceAnIncarnationReplacedUnderAnotherProcessId() {
    DeathDetector detector = new DeathDetector(2, 60_000);
    detector.onProbe(PEER, new ProbeResult.Alive(RUNNING));
    PeerIdentity other = new PeerIdentity("app", "pid-2", "app-inst-2", List.of(1), "RUNNING");
    List<DeathDetector.Death> deaths = detector.onProbe(PEER, new ProbeResult.Alive(other));
    assertThat(deaths).singleElement().satisfies(d -> assertThat(d.fenceProducers()).isTrue());
  }

  @Test
  void shouldForgetPeersLongAbsentFromTheMetadata() {
    DeathDetector detector = new DeathDetector(2, 1_000);
    detector.listed(Set.of(PEER), 0);
    detector.onProbe(PEER, new ProbeResult.Alive(RUNNING));
    detector.listed(Set.of(), 500);
    assertThat(detector.identity(PEER)).isEqualTo(RUNNING);
    detector.listed(Set.of(), 2_000);
    assertThat(detector.identity(PEER)).isNull();
  }

  @Test
  void shouldRoundTripTheIdentityAsJson() {
    assertThat(PeerIdentity.fromJson(RUNNING.toJson())).isEqualTo(RUNNING);
    PeerIdentity dynamic = new PeerIdentity("app", "pid", null, List.of(1), "RUNNING");
    assertThat(PeerIdentity.fromJson(dynamic.toJson())).isEqualTo(dynamic);
    assertThat(dynamic.memberInstanceIds()).isEmpty();
  }
}
