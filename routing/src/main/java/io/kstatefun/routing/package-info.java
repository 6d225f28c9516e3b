/**
 * Addresses and routing, shared by the runtime and its tools: {@code Address} and {@code
 * FunctionType}, {@code AddressPartitioner} (which partition owns an address) and {@code
 * IngressRouter} (how an ingress record becomes messages to functions).
 */
package io.kstatefun.routing;
