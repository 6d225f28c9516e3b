/**
 * The chaos harness: real broker, runtime and function-server processes, a seeded fault plan (kill
 * -9, SIGTERM, broker loss, proxies that delay or drop), and a verifier that checks the output
 * against a shadow model.
 */
package io.kstatefun.chaos.harness;
