/** Unit-testing functions without a runtime: {@link io.kstatefun.sdk.testing.TestContext}. */
package io.kstatefun.sdk.testing;
