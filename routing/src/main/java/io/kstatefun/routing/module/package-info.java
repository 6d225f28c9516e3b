/**
 * A StateFun {@code module.yaml} as immutable specs: {@code ModuleParser} reads it into a {@code
 * ModuleSpec} of endpoints, Kafka ingresses and egresses, failing with the document, key and
 * expectation on bad input.
 */
package io.kstatefun.routing.module;
