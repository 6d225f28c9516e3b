/** The built-in HTTP server: {@link io.kstatefun.sdk.http.FunctionServer}. */
package io.kstatefun.sdk.http;
