/**
 * The HTTP API of a runtime instance ({@code kstatefun.api.port}): calls to functions, sends, and
 * state queries. {@link io.kstatefun.runtime.internals.api.ApiServer} is the listener; each group
 * of routes is an {@link io.kstatefun.runtime.internals.api.ApiRoutes}.
 */
package io.kstatefun.runtime.internals.api;
