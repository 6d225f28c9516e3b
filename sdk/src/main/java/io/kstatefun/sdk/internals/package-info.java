/**
 * Implementation of the SDK; not API, may change without notice. {@code BatchHandler} decides
 * between "missing state" and "run the batch" and runs it; {@code BatchContext} and {@code
 * AddressStorage} collect its effects and state changes.
 */
package io.kstatefun.sdk.internals;
