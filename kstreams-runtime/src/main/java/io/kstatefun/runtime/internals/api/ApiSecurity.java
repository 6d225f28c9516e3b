package io.kstatefun.runtime.internals.api;

import io.kstatefun.runtime.config.KStatefunConfig;
import io.kstatefun.runtime.internals.http.TlsSupport;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import org.apache.kafka.common.config.ConfigException;

/**
 * Who may use the HTTP API: an optional bearer token ({@code kstatefun.api.auth.token[.file]}),
 * optional TLS ({@code kstatefun.api.tls.cert}) and mutual TLS ({@code
 * kstatefun.api.tls.client.ca}). The same material configures the client an instance proxies with.
 *
 * <p>Immutable; thread-safe.
 *
 * @param bearerToken the token requests must carry, or null for none
 * @param tlsCert location of the certificate (PEM or PKCS#12), or null for plain HTTP
 * @param tlsKey location of the PEM key, or null
 * @param tlsKeyPasswordFile location of the PKCS#12 password file, or null
 * @param clientCa location of the PEM CAs client certificates must be signed by, or null
 */
public record ApiSecurity(
    String bearerToken, String tlsCert, String tlsKey, String tlsKeyPasswordFile, String clientCa) {

  /** No token, plain HTTP. */
  public static final ApiSecurity NONE = new ApiSecurity(null, null, null, null, null);

  /** The security settings of {@code config}; fails fast on unreadable files. */
  public static ApiSecurity from(KStatefunConfig config) {
    String token = config.getPassword(KStatefunConfig.API_AUTH_TOKEN_CONFIG).value();
    String tokenFile = config.getString(KStatefunConfig.API_AUTH_TOKEN_FILE_CONFIG);
    if ((token == null || token.isBlank()) && !tokenFile.isBlank()) {
      try {
        token = TlsSupport.read(tokenFile).toString(StandardCharsets.UTF_8).strip();
      } catch (IllegalArgumentException e) {
        throw new ConfigException(
            KStatefunConfig.API_AUTH_TOKEN_FILE_CONFIG, tokenFile, e.getMessage());
      }
      if (token.isEmpty()) {
        throw new ConfigException(
            KStatefunConfig.API_AUTH_TOKEN_FILE_CONFIG, tokenFile, "the file is empty");
      }
    }
    ApiSecurity security =
        new ApiSecurity(
            blankToNull(token),
            blankToNull(config.getString(KStatefunConfig.API_TLS_CERT_CONFIG)),
            blankToNull(config.getString(KStatefunConfig.API_TLS_KEY_CONFIG)),
            blankToNull(config.getString(KStatefunConfig.API_TLS_KEY_PASSWORD_FILE_CONFIG)),
            blankToNull(config.getString(KStatefunConfig.API_TLS_CLIENT_CA_CONFIG)));
    if (security.clientCa != null && security.tlsCert == null) {
      throw new ConfigException(
          KStatefunConfig.API_TLS_CLIENT_CA_CONFIG,
          security.clientCa,
          "mutual TLS needs a server certificate: set " + KStatefunConfig.API_TLS_CERT_CONFIG);
    }
    if (security.tlsCert != null) {
      try {
        security.keyCert(); // read the files now, not at the first request
      } catch (IllegalArgumentException e) {
        throw new ConfigException(
            KStatefunConfig.API_TLS_CERT_CONFIG, security.tlsCert, e.getMessage());
      }
    }
    return security;
  }

  /** Whether the API speaks HTTPS. */
  public boolean tls() {
    return tlsCert != null;
  }

  /** The scheme other instances use to reach this one. */
  public String scheme() {
    return tls() ? "https" : "http";
  }

  /** Sets TLS (and client authentication) on the API listener. */
  public HttpServerOptions configure(HttpServerOptions options) {
    if (tls()) {
      options.setSsl(true).setKeyCertOptions(keyCert());
      if (clientCa != null) {
        options
            .setClientAuth(ClientAuth.REQUIRED)
            .setTrustOptions(new PemTrustOptions().addCertValue(TlsSupport.read(clientCa)));
      }
    }
    return options;
  }

  /** Sets TLS on the client an instance proxies to another instance's API with. */
  public HttpClientOptions configure(HttpClientOptions options) {
    if (tls()) {
      options.setSsl(true).setVerifyHost(true).setKeyCertOptions(keyCert());
      if (clientCa != null) {
        options.setTrustOptions(new PemTrustOptions().addCertValue(TlsSupport.read(clientCa)));
      }
    }
    return options;
  }

  /**
   * Whether {@code request} carries the bearer token (always true without one). Compares in
   * constant time.
   */
  public boolean authorized(HttpServerRequest request) {
    if (bearerToken == null) {
      return true;
    }
    String header = request.getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    byte[] given = header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(given, bearerToken.getBytes(StandardCharsets.UTF_8));
  }

  private KeyCertOptions keyCert() {
    String lower = tlsCert.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".p12") || lower.endsWith(".pfx")) {
      return new PfxOptions()
          .setValue(TlsSupport.read(tlsCert))
          .setPassword(
              tlsKeyPasswordFile == null
                  ? null
                  : new String(TlsSupport.readPassword(tlsKeyPasswordFile)));
    }
    if (tlsKey == null) {
      throw new IllegalArgumentException(
          "a PEM certificate needs its key: set " + KStatefunConfig.API_TLS_KEY_CONFIG);
    }
    return new PemKeyCertOptions()
        .addCertValue(TlsSupport.read(tlsCert))
        .addKeyValue(TlsSupport.read(tlsKey));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  @Override
  public String toString() {
    return "ApiSecurity[token="
        + (bearerToken == null ? "none" : "set")
        + ", tls="
        + tls()
        + ", mtls="
        + (clientCa != null)
        + "]";
  }
}
