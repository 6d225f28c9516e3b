/** The seeded chaos workload and its shadow model of the expected state and output. */
package io.kstatefun.chaos.workload;
