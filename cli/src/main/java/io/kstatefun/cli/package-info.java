/**
 * The {@code kstatefun} launcher ({@code dev}, {@code run}, {@code kafka}, {@code topic}, {@code
 * dlq}) that the release tarball and {@code bin/kstatefun} run, and the generator of the command
 * reference in {@code docs/cli.md}.
 */
package io.kstatefun.cli;
