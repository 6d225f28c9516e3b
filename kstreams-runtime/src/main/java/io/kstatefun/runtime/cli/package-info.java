/**
 * The runtime's commands ({@code run}, {@code topic}, {@code dlq}) as picocli commands, and {@code
 * KStatefunCli}, their entry point for a runtime-only classpath. The full launcher (with the local
 * broker and the demo) is the {@code cli} module.
 */
package io.kstatefun.runtime.cli;
