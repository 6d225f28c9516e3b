package io.kstatefun.sdk.http;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Settings of a {@link FunctionServer}; immutable, start from {@link #defaults()}.
 *
 * <p>(Named {@code *Options} rather than {@code *Config}: the SDK does not depend on Kafka, so
 * these settings are plain typed values, not a {@code ConfigDef}.)
 */
public final class FunctionServerOptions {
  /** Default request size limit: 32 MiB, the runtime's default {@code payload_max_bytes}. */
  public static final int DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;

  private static final FunctionServerOptions DEFAULTS =
      new FunctionServerOptions(
          "0.0.0.0", DEFAULT_MAX_REQUEST_BYTES, Duration.ofSeconds(30), "/health", null, 20);

  private final String host;
  private final int maxRequestBytes;
  private final Duration shutdownTimeout;
  private final String healthPath;
  private final Executor executor;
  private final int workerThreads;

  private FunctionServerOptions(
      String host,
      int maxRequestBytes,
      Duration shutdownTimeout,
      String healthPath,
      Executor executor,
      int workerThreads) {
    this.workerThreads = workerThreads;
    this.host = host;
    this.maxRequestBytes = maxRequestBytes;
    this.shutdownTimeout = shutdownTimeout;
    this.healthPath = healthPath;
    this.executor = executor;
  }

  /**
   * Listen on all interfaces, accept requests up to 32 MiB, wait up to 30 s for in-flight requests
   * on shutdown, answer health checks on {@code GET /health}, run functions on 20 worker threads
   * owned by the server.
   */
  public static FunctionServerOptions defaults() {
    return DEFAULTS;
  }

  /** The interface to bind, e.g. {@code 127.0.0.1}. */
  public FunctionServerOptions withHost(String host) {
    Objects.requireNonNull(host, "host");
    return new FunctionServerOptions(
        host, maxRequestBytes, shutdownTimeout, healthPath, executor, workerThreads);
  }

  /** Larger request bodies are answered with 413. */
  public FunctionServerOptions withMaxRequestBytes(int maxRequestBytes) {
    if (maxRequestBytes <= 0) {
      throw new IllegalArgumentException(
          "maxRequestBytes must be positive, got " + maxRequestBytes);
    }
    return new FunctionServerOptions(
        host, maxRequestBytes, shutdownTimeout, healthPath, executor, workerThreads);
  }

  /** How long {@link FunctionServer#close()} waits for in-flight requests. */
  public FunctionServerOptions withShutdownTimeout(Duration shutdownTimeout) {
    Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
    if (shutdownTimeout.isNegative()) {
      throw new IllegalArgumentException("shutdownTimeout cannot be negative: " + shutdownTimeout);
    }
    return new FunctionServerOptions(
        host, maxRequestBytes, shutdownTimeout, healthPath, executor, workerThreads);
  }

  /** The path answered by {@code GET} health checks; must start with {@code '/'}. */
  public FunctionServerOptions withHealthPath(String healthPath) {
    Objects.requireNonNull(healthPath, "healthPath");
    if (!healthPath.startsWith("/")) {
      throw new IllegalArgumentException("healthPath must start with '/', got " + healthPath);
    }
    return new FunctionServerOptions(
        host, maxRequestBytes, shutdownTimeout, healthPath, executor, workerThreads);
  }

  /** The number of threads the server creates to run functions (ignored with an executor). */
  public FunctionServerOptions withWorkerThreads(int workerThreads) {
    if (workerThreads <= 0) {
      throw new IllegalArgumentException("workerThreads must be positive, got " + workerThreads);
    }
    return new FunctionServerOptions(
        host, maxRequestBytes, shutdownTimeout, healthPath, executor, workerThreads);
  }

  /**
   * Runs functions on {@code executor} instead of the server's own threads; the caller owns and
   * stops it. Functions never run on the event loop, since they may block.
   */
  public FunctionServerOptions withExecutor(Executor executor) {
    Objects.requireNonNull(executor, "executor");
    return new FunctionServerOptions(
        host, maxRequestBytes, shutdownTimeout, healthPath, executor, workerThreads);
  }

  /** The interface to bind. */
  public String host() {
    return host;
  }

  /** The request size limit in bytes. */
  public int maxRequestBytes() {
    return maxRequestBytes;
  }

  /** How long shutdown waits for in-flight requests. */
  public Duration shutdownTimeout() {
    return shutdownTimeout;
  }

  /** The health check path. */
  public String healthPath() {
    return healthPath;
  }

  /** The executor running functions, or null for the server's own threads. */
  public Executor executor() {
    return executor;
  }

  /** The number of threads the server creates to run functions when no executor is given. */
  public int workerThreads() {
    return workerThreads;
  }

  @Override
  public String toString() {
    return "FunctionServerOptions(host="
        + host
        + ", maxRequestBytes="
        + maxRequestBytes
        + ", shutdownTimeout="
        + shutdownTimeout
        + ", healthPath="
        + healthPath
        + ", executor="
        + (executor == null ? workerThreads + " worker threads" : executor)
        + ")";
  }
}
