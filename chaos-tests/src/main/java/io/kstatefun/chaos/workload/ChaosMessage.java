package io.kstatefun.chaos.workload;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Objects;

/**
 * The argument of every message of the chaos workload (typename {@value #TYPENAME}): a unique id,
 * who sent it with which per-(sender, receiver) sequence number, and the commands to run.
 *
 * @param uid unique in a round; every effect reported for this message names it
 * @param from the sender's address, or {@value #DRIVER} for ingress messages
 * @param seq 1, 2, 3... per (sender, receiver) pair for immediate messages; 0 for delayed ones,
 *     which StateFun does not order
 * @param cmds the commands, run in order
 */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record ChaosMessage(long uid, String from, long seq, List<Command> cmds) {

  /** The namespace of everything the workload names. */
  public static final String NAMESPACE = "chaos";

  /** The typename of the message argument. */
  public static final String TYPENAME = NAMESPACE + "/cmd";

  /** The sender name of messages the driver writes to the ingress topics. */
  public static final String DRIVER = "driver";

  public ChaosMessage {
    Objects.requireNonNull(from, "from");
    cmds = cmds == null ? List.of() : List.copyOf(cmds);
  }

  /** Whether this message is part of a FIFO sequence (not a delayed message). */
  public boolean ordered() {
    return seq > 0;
  }

  /**
   * The number of {@code inc} commands at the top level (what the receiver adds to its counter).
   */
  public int increments() {
    int n = 0;
    for (Command c : cmds) {
      if (c.op().equals(Command.INC)) {
        n++;
      }
    }
    return n;
  }
}
