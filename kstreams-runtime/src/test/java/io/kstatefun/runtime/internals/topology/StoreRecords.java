package io.kstatefun.runtime.internals.topology;

import io.kstatefun.routing.Address;

/**
 * Keys and changelog topics of the runtime's stores, for tests that write records into a changelog
 * the way a damaged or foreign record would arrive there.
 */
public final class StoreRecords {

  private StoreRecords() {}

  public static String mailboxChangelog(String applicationId) {
    return applicationId + "-" + TopologyFactory.MAILBOX_STORE + "-changelog";
  }

  public static String stateChangelog(String applicationId) {
    return applicationId + "-" + TopologyFactory.STATE_STORE + "-changelog";
  }

  public static String timerChangelog(String applicationId) {
    return applicationId + "-" + TopologyFactory.TIMER_STORE + "-changelog";
  }

  public static String mailboxStore() {
    return TopologyFactory.MAILBOX_STORE;
  }

  public static byte[] mailboxHeaderKey(Address address) {
    return StoreKeys.header(address);
  }

  public static byte[] mailboxEntryKey(Address address, long seq) {
    return StoreKeys.entry(address, seq);
  }

  public static byte[] pendingTimerCountKey() {
    return StoreKeys.TIMER_COUNT.clone();
  }
}
