package io.kstatefun.runtime.internals.failover;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Probes one peer endpoint with a blocking HTTP GET and classifies the outcome. "Connection
 * refused" is the only outcome read as a sign of death; timeouts and every other error are {@link
 * ProbeResult.Unknown}.
 *
 * <p>Threading: stateless; call from any thread.
 */
public final class PeerProber {

  private final int timeoutMs;

  /**
   * @param timeout connect and read timeout of a probe
   */
  public PeerProber(Duration timeout) {
    this.timeoutMs = (int) Math.max(1, timeout.toMillis());
  }

  public ProbeResult probe(URI uri) {
    HttpURLConnection c;
    try {
      c = (HttpURLConnection) uri.toURL().openConnection();
    } catch (IOException | RuntimeException e) {
      return new ProbeResult.Unknown("bad probe address " + uri + ": " + e);
    }
    c.setConnectTimeout(timeoutMs);
    c.setReadTimeout(timeoutMs);
    c.setUseCaches(false);
    // a fresh connection per probe: a kept-alive one would hide a refusal behind a reset
    c.setRequestProperty("Connection", "close");
    try {
      int status = c.getResponseCode();
      if (status != 200) {
        drain(c.getErrorStream());
        return new ProbeResult.Alive(null);
      }
      String body;
      try (InputStream in = c.getInputStream()) {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      try {
        return new ProbeResult.Alive(PeerIdentity.fromJson(new JsonObject(body)));
      } catch (RuntimeException e) {
        return new ProbeResult.Alive(null);
      }
    } catch (IOException | RuntimeException e) {
      return classify(uri, e);
    }
  }

  /**
   * Refused when the connection was refused; anything else (a connect or read timeout: a paused or
   * overloaded process, a host that is down, a network partition) is unknown.
   */
  static ProbeResult classify(URI uri, Exception e) {
    if (e instanceof ConnectException
        && String.valueOf(e.getMessage()).startsWith("Connection refused")) {
      return new ProbeResult.Refused(uri + ": " + e.getMessage());
    }
    return new ProbeResult.Unknown(uri + ": " + e);
  }

  private static void drain(InputStream in) {
    if (in == null) {
      return;
    }
    try (in) {
      in.readAllBytes();
    } catch (IOException ignored) {
      // only to reuse the connection
    }
  }
}
