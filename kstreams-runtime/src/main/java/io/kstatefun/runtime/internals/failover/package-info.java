/**
 * Fast fail-over: instances probe each other over HTTP; when one is confirmed dead (its host
 * refuses connections to its endpoint), a survivor fences its transactional producers and removes
 * it from the consumer group, so its partitions move at once instead of after the session timeout.
 * See docs/failover.md.
 */
package io.kstatefun.runtime.internals.failover;
