/**
 * The admin HTTP endpoints of an instance: {@code /metrics} (Prometheus), {@code /health/live},
 * {@code /health/ready} and {@code /status}.
 */
package io.kstatefun.runtime.internals.admin;
