package io.kstatefun.chaos.workload;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generates the random command trees of one round from a seed: the same seed and parameters give
 * the same workload, message ids included.
 *
 * <p>Every tree is sent by the driver to one workload address and may fan out: increments, sends to
 * other addresses (of both function types), delayed sends (some with a cancellation token that is
 * never used), delayed sends cancelled in the same invocation, delayed sends cancelled by a later
 * invocation (a message to self), and egress records. Cancelled messages carry no commands, so
 * whether one is (wrongly) delivered never changes a counter: it shows up as an event of its own.
 */
public final class WorkloadGenerator {

  /**
   * What to generate.
   *
   * @param idsPerKind workload addresses per function type ({@code w0, w1, ...})
   * @param trees number of trees (ingress messages)
   * @param maxDepth deepest nesting of send / delayed send
   * @param maxCommands most commands in one message
   * @param minDelayMs shortest delay of a delayed message
   * @param maxDelayMs longest delay of a delayed message (not cancelled later)
   * @param deferredCancelDelayMs delay of a delayed message that a later invocation cancels; long,
   *     so that the cancellation always comes first
   * @param deferredCancelTrees only the first this many trees schedule deferred cancellations
   *     (their delays must end before the round does)
   */
  public record Params(
      int idsPerKind,
      int trees,
      int maxDepth,
      int maxCommands,
      long minDelayMs,
      long maxDelayMs,
      long deferredCancelDelayMs,
      int deferredCancelTrees) {

    public Params {
      if (idsPerKind < 1
          || trees < 0
          || maxDepth < 0
          || maxCommands < 1
          || minDelayMs < 0
          || maxDelayMs < minDelayMs
          || deferredCancelDelayMs < 0
          || deferredCancelTrees < 0) {
        throw new IllegalArgumentException("bad workload parameters");
      }
    }
  }

  /**
   * One ingress message of the workload.
   *
   * @param target the address it is sent to
   * @param uid its message id
   * @param cmds its commands
   */
  public record Tree(FnAddress target, long uid, List<Command> cmds) {
    public Tree {
      cmds = List.copyOf(cmds);
    }
  }

  /** First uid of driver-made messages (probes, verifications), above every generated uid. */
  public static final long DRIVER_UID_BASE = 1_000_000_000L;

  private final Params params;
  private final Random random;
  private final List<FnAddress> addresses;
  private long nextUid = 1;
  private boolean allowDeferredCancel;

  public WorkloadGenerator(Params params, long seed) {
    this.params = params;
    this.random = new Random(seed);
    this.addresses = workloadAddresses(params.idsPerKind());
  }

  /** The workload addresses: {@code w0 ... w(n-1)} of each function type. */
  public static List<FnAddress> workloadAddresses(int idsPerKind) {
    List<FnAddress> out = new ArrayList<>();
    for (FnAddress.Kind kind : FnAddress.Kind.values()) {
      for (int i = 0; i < idsPerKind; i++) {
        out.add(new FnAddress(kind, "w" + i));
      }
    }
    return List.copyOf(out);
  }

  /** Generates all trees, in the order they are to be sent. */
  public List<Tree> generate() {
    List<Tree> trees = new ArrayList<>(params.trees());
    for (int i = 0; i < params.trees(); i++) {
      allowDeferredCancel = i < params.deferredCancelTrees();
      FnAddress target = randomAddress();
      long uid = nextUid++;
      trees.add(new Tree(target, uid, commands(target, 0)));
    }
    return List.copyOf(trees);
  }

  private List<Command> commands(FnAddress self, int depth) {
    int n = 1 + random.nextInt(params.maxCommands());
    List<Command> out = new ArrayList<>(n + 1);
    boolean nest = depth < params.maxDepth();
    for (int i = 0; i < n; i++) {
      int r = random.nextInt(100);
      if (r < 40) {
        out.add(Command.inc());
      } else if (r < 58 && nest) {
        FnAddress to = randomAddress();
        long uid = nextUid++;
        out.add(Command.send(to, uid, commands(to, depth + 1)));
      } else if (r < 68 && nest) {
        FnAddress to = randomAddress();
        long uid = nextUid++;
        String token = random.nextInt(3) == 0 ? "t" + uid : null; // a token that is never used
        out.add(Command.after(to, uid, delay(), token, commands(to, depth + 1)));
      } else if (r < 74) {
        long uid = nextUid++;
        String token = "t" + uid;
        out.add(Command.after(randomAddress(), uid, delay(), token, List.of()));
        out.add(Command.cancel(token));
      } else if (r < 78 && allowDeferredCancel) {
        long uid = nextUid++;
        String token = "t" + uid;
        out.add(
            Command.after(randomAddress(), uid, params.deferredCancelDelayMs(), token, List.of()));
        out.add(Command.send(self, nextUid++, List.of(Command.cancel(token))));
      } else if (r < 90) {
        out.add(Command.egress(nextUid++));
      } else {
        out.add(Command.inc());
      }
    }
    return out;
  }

  private long delay() {
    return params.minDelayMs()
        + (long) (random.nextDouble() * (params.maxDelayMs() - params.minDelayMs()));
  }

  private FnAddress randomAddress() {
    return addresses.get(random.nextInt(addresses.size()));
  }
}
