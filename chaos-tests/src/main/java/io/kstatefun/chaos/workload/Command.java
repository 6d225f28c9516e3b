package io.kstatefun.chaos.workload;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
 * One step a chaos function carries out when it handles a {@link ChaosMessage}. Commands are
 * written as compact JSON ({@link Json}); fields a command does not use are left out.
 *
 * <ul>
 *   <li>{@code inc}: add one to the function's counter.
 *   <li>{@code send}: send {@code cmds} to {@code to} as a new message with id {@code uid}; the
 *       function stamps it with its own address and the next sequence number of that (sender,
 *       receiver) pair.
 *   <li>{@code after}: send {@code cmds} to {@code to} after {@code delayMs}, as message {@code
 *       uid}, cancellable through {@code token} if one is set.
 *   <li>{@code cancel}: cancel the delayed message of {@code token}.
 *   <li>{@code egress}: write record {@code uid} to the egress topic.
 *   <li>{@code verify}: report the counter next to the {@code expected} value.
 * </ul>
 *
 * @param op what to do
 * @param to the target address ({@link FnAddress#toString()} form) of {@code send} and {@code
 *     after}
 * @param uid the id of the message ({@code send}, {@code after}) or record ({@code egress}) it
 *     creates
 * @param delayMs the delay of {@code after}
 * @param token the cancellation token of {@code after} and {@code cancel}
 * @param cmds the commands of the message {@code send} or {@code after} creates
 * @param expected what {@code verify} expects the counter to be
 */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record Command(
    String op, String to, long uid, long delayMs, String token, List<Command> cmds, long expected) {

  public static final String INC = "inc";
  public static final String SEND = "send";
  public static final String AFTER = "after";
  public static final String CANCEL = "cancel";
  public static final String EGRESS = "egress";
  public static final String VERIFY = "verify";

  /** Validates the operation and copies the nested commands. */
  public Command {
    Objects.requireNonNull(op, "op");
    cmds = cmds == null ? List.of() : List.copyOf(cmds);
  }

  public static Command inc() {
    return new Command(INC, null, 0, 0, null, null, 0);
  }

  public static Command send(FnAddress to, long uid, List<Command> cmds) {
    return new Command(SEND, to.toString(), uid, 0, null, cmds, 0);
  }

  public static Command after(
      FnAddress to, long uid, long delayMs, String token, List<Command> cmds) {
    return new Command(AFTER, to.toString(), uid, delayMs, token, cmds, 0);
  }

  public static Command cancel(String token) {
    return new Command(CANCEL, null, 0, 0, token, null, 0);
  }

  public static Command egress(long uid) {
    return new Command(EGRESS, null, uid, 0, null, null, 0);
  }

  public static Command verify(long expected) {
    return new Command(VERIFY, null, 0, 0, null, null, expected);
  }

  /** The target address of {@code send} and {@code after}. */
  public FnAddress target() {
    return FnAddress.parse(to);
  }
}
