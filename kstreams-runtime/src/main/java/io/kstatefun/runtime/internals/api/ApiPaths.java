package io.kstatefun.runtime.internals.api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** Path segments of API routes. Stateless. */
final class ApiPaths {

  private ApiPaths() {}

  /**
   * Percent-decodes one path segment as UTF-8. A {@code +} stays a plus (it means a space only in
   * query strings).
   *
   * @throws IllegalArgumentException on a malformed escape
   */
  static String decode(String segment) {
    return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** Percent-encodes one path segment as UTF-8. */
  static String encode(String segment) {
    return java.net.URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
