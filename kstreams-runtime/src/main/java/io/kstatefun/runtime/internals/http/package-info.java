/**
 * The HTTP client to remote functions (Vert.x Web Client): one request-reply call per batch,
 * retries with backoff inside a time budget, failures classified as retryable or terminal, TLS and
 * mutual TLS, response size limits.
 */
package io.kstatefun.runtime.internals.http;
