/**
 * Tracing with OpenTelemetry: the spans of batches, function calls and outputs, and the W3C trace
 * context on messages and HTTP requests. Not API.
 */
package io.kstatefun.runtime.internals.tracing;
