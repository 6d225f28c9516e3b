/**
 * {@code kstatefun dev}: a local broker, the runtime, the example functions and a generator of
 * sample events in one process, with the results streamed to the terminal.
 */
package io.kstatefun.examples.dev;
