package io.kstatefun.runtime.internals.dispatch;

import io.kstatefun.routing.Address;
import io.kstatefun.routing.FunctionType;
import io.kstatefun.runtime.internals.proto.MailboxHeader;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Decides when an address's next batch may go out: one request in flight per address, and a free
 * slot both in this task ({@link Dispatcher.Limits#maxInFlight()}) and at the function's endpoint
 * ({@link InFlightLimiter}). An address that cannot go now waits in a FIFO queue per function type;
 * waiting types are served round robin as slots free up. Its messages stay in the durable mailbox:
 * the queue holds addresses, never messages, and at most {@link Dispatcher.Limits#maxWaiting()} of
 * them. Addresses beyond that are found again by paging through the mailboxes on disk, so memory is
 * bounded by the limits, not by the backlog.
 *
 * <p>It knows which batch each address has in flight ({@link InFlightBatch}) and holds one slot per
 * such address. Building and sending a batch is the {@link Sender}'s job (the {@link Dispatcher});
 * the sender is called with the slot already taken.
 *
 * <p>Threading: owned by the task's stream thread, like the {@link Dispatcher} that uses it; the
 * {@link InFlightLimiter} it takes slots from is shared and thread-safe.
 */
final class Admission {

  /** Sends the batch at the head of an address's mailbox; the caller holds a slot for it. */
  @FunctionalInterface
  interface Sender {
    void send(Address target, MailboxHeader header, boolean retry, List<Action> out);
  }

  /** How many mailbox headers one paging step reads. */
  private static final int MAILBOX_PAGE = 1000;

  private final int partition;
  private final Dispatcher.Limits limits;
  private final InFlightLimiter limiter;
  private final Mailbox mailbox;
  private final Sender sender;

  /**
   * Batches in flight by address. Written by the stream thread only; concurrent so that other
   * threads may read it (see {@link Dispatcher#inFlight}).
   */
  private final Map<Address, InFlightBatch> inFlight =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Addresses with queued messages waiting for a slot, FIFO per function type. */
  private final LinkedHashMap<FunctionType, LinkedHashSet<Address>> waiting = new LinkedHashMap<>();

  private int waitingCount;

  /**
   * Whether some addresses with queued messages may be neither in flight nor in {@link #waiting}.
   */
  private boolean rescanNeeded;

  /** Where the current paging pass through the mailboxes stands; null: at the start. */
  private Address scanCursor;

  /** Addresses not remembered (waiting queue full) since the current pass started. */
  private long droppedThisPass;

  Admission(
      int partition,
      Dispatcher.Limits limits,
      InFlightLimiter limiter,
      Mailbox mailbox,
      Sender sender) {
    this.partition = partition;
    this.limits = limits;
    this.limiter = limiter;
    this.mailbox = mailbox;
    this.sender = sender;
  }

  /** The batch {@code target} has in flight, or {@code null}. */
  InFlightBatch flight(Address target) {
    return inFlight.get(target);
  }

  boolean isInFlight(Address target) {
    return inFlight.containsKey(target);
  }

  /** Number of addresses with a request in flight. */
  int inFlightCount() {
    return inFlight.size();
  }

  /** Number of addresses remembered as waiting for a slot. */
  int waitingCount() {
    return waitingCount;
  }

  /** {@code target}'s batch went out, with the slot the {@link Sender} was called with. */
  void started(Address target, InFlightBatch batch) {
    inFlight.put(target, batch);
  }

  /** Forgets {@code target}'s batch but keeps its slot, for sending (part of) it again at once. */
  void forgetKeepingSlot(Address target) {
    inFlight.remove(target);
  }

  /** The request of {@code target} is over: forget it and give its slot back. */
  void end(Address target) {
    if (inFlight.remove(target) != null) {
      limiter.release(target.type());
    }
  }

  /** Gives back a slot the {@link Sender} was called with but did not use for a request. */
  void release(FunctionType type) {
    limiter.release(type);
  }

  /** Gives back every slot and forgets what is in memory (the task is closing or restarting). */
  void releaseAll() {
    for (Address address : inFlight.keySet()) {
      limiter.release(address.type());
    }
    inFlight.clear();
    waiting.clear();
    waitingCount = 0;
  }

  /** The task (re)started: forget everything and find the non-empty mailboxes by paging. */
  void recover() {
    releaseAll();
    rescanNeeded = true;
    scanCursor = null;
  }

  /**
   * {@code target} has queued messages and no request in flight: send its next batch if a slot is
   * free and nobody of its type waits before it, otherwise queue it.
   */
  void ready(Address target, MailboxHeader header, boolean retry, List<Action> out) {
    if (isWaiting(target)) {
      return;
    }
    if (!waiting.containsKey(target.type()) && acquire(target.type())) {
      sender.send(target, header, retry, out);
    } else {
      enqueueWaiting(target);
    }
  }

  private boolean acquire(FunctionType type) {
    return inFlight.size() < limits.maxInFlight() && limiter.tryAcquire(type, partition);
  }

  private boolean isWaiting(Address address) {
    LinkedHashSet<Address> queue = waiting.get(address.type());
    return queue != null && queue.contains(address);
  }

  private void enqueueWaiting(Address address) {
    if (waitingCount >= limits.maxWaiting()) {
      // Not remembered: its messages are safe in the mailbox, and paging finds it again.
      rescanNeeded = true;
      droppedThisPass++;
      return;
    }
    waiting.computeIfAbsent(address.type(), t -> new LinkedHashSet<>()).add(address);
    waitingCount++;
  }

  /**
   * Serves waiting addresses, one per function type per round (round robin), while slots allow;
   * then pages through the mailboxes for addresses that were not remembered.
   */
  void pump(List<Action> out) {
    while (true) {
      boolean progress = false;
      if (waitingCount > 0) {
        for (FunctionType type : new ArrayList<>(waiting.keySet())) {
          if (inFlight.size() >= limits.maxInFlight()) {
            break;
          }
          if (!limiter.tryAcquire(type, partition)) {
            continue;
          }
          LinkedHashSet<Address> queue = waiting.get(type);
          Iterator<Address> it = queue.iterator();
          Address next = it.next();
          it.remove();
          waitingCount--;
          if (queue.isEmpty()) {
            waiting.remove(type);
          }
          MailboxHeader header = mailbox.header(next, out);
          if (Mailbox.hasMessages(header) && !inFlight.containsKey(next)) {
            sender.send(next, header, false, out);
          } else {
            limiter.release(type);
          }
          progress = true;
        }
      }
      if (!progress) {
        if (rescanNeeded
            && waitingCount < Math.max(1, limits.maxWaiting() / 2)
            && inFlight.size() < limits.maxInFlight()) {
          rescanPage(out);
          if (rescanNeeded && scanCursor != null) {
            continue;
          }
        }
        return;
      }
    }
  }

  /** Reads one page of mailbox headers and makes their addresses ready. */
  private void rescanPage(List<Action> out) {
    if (scanCursor == null) {
      droppedThisPass = 0;
    }
    List<Address> page = mailbox.mailboxes(scanCursor, MAILBOX_PAGE);
    for (Address address : page) {
      if (!inFlight.containsKey(address) && !isWaiting(address)) {
        MailboxHeader header = mailbox.header(address, out);
        if (Mailbox.hasMessages(header)) {
          ready(address, header, true, out);
        }
      }
    }
    if (page.size() < MAILBOX_PAGE) {
      scanCursor = null;
      if (droppedThisPass == 0) {
        rescanNeeded = false;
      }
    } else {
      scanCursor = page.get(page.size() - 1);
    }
  }
}
