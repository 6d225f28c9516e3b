/**
 * The runtime's Micrometer metrics ({@code kstatefun_*}), fed by the runtime listener and by gauges
 * over the tasks an instance runs.
 */
package io.kstatefun.runtime.internals.metrics;
