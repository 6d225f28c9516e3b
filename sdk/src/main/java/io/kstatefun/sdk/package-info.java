/**
 * The kstatefun Java SDK: write remote stateful functions that speak the StateFun 3.3.0 protocol,
 * so they run on the kstatefun runtime and on Apache Flink StateFun 3.3.0.
 *
 * <p>Declare functions with {@link io.kstatefun.sdk.StatefulFunctionSpec} and {@link
 * io.kstatefun.sdk.ValueSpec}, collect them in a {@link io.kstatefun.sdk.FunctionRegistry}, and
 * serve them with {@link io.kstatefun.sdk.http.FunctionServer} or any transport through {@link
 * io.kstatefun.sdk.RequestReplyHandler}. Test them with {@link
 * io.kstatefun.sdk.testing.TestContext}.
 */
package io.kstatefun.sdk;
