package io.kstatefun.runtime.http;

import io.kstatefun.routing.module.HttpTransportSpec;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * TLS and mutual TLS towards function endpoints, from StateFun's transport keys: {@code
 * trust_cacerts} (PEM CA certificates), {@code client_cert} + {@code client_key} (PEM), or a
 * PKCS#12 {@code client_cert} ({@code .p12}/{@code .pfx}) with {@code client_key_password}.
 * Locations may be plain paths or StateFun's {@code file:} and {@code classpath:} forms.
 */
final class TlsSupport {

  private TlsSupport() {}

  static void configure(WebClientOptions options, HttpTransportSpec transport) {
    Optional<String> ca = transport.trustCaCerts();
    Optional<String> cert = transport.clientCert();
    if (ca.isEmpty() && cert.isEmpty()) {
      return;
    }
    options.setSsl(true).setVerifyHost(true);
    ca.ifPresent(location -> options.setTrustOptions(new PemTrustOptions().addCertValue(read(location))));
    if (cert.isPresent()) {
      String certLocation = cert.get();
      String lower = certLocation.toLowerCase(java.util.Locale.ROOT);
      if (lower.endsWith(".p12") || lower.endsWith(".pfx")) {
        options.setKeyCertOptions(
            new PfxOptions()
                .setValue(read(certLocation))
                .setPassword(transport.clientKeyPassword().orElse(null)));
      } else {
        String key =
            transport.clientKey()
                .orElseThrow(() -> new IllegalArgumentException(
                    "transport.client_cert is set but transport.client_key is not"));
        if (transport.clientKeyPassword().isPresent()) {
          throw new IllegalArgumentException(
              "transport.client_key_password needs a PKCS#12 client_cert (.p12/.pfx); "
                  + "PEM client keys must be unencrypted PKCS#8");
        }
        options.setKeyCertOptions(
            new PemKeyCertOptions().addCertValue(read(certLocation)).addKeyValue(read(key)));
      }
    }
  }

  static Buffer read(String location) {
    try {
      if (location.startsWith("classpath:")) {
        String resource = location.substring("classpath:".length());
        try (InputStream in =
            Thread.currentThread().getContextClassLoader().getResourceAsStream(resource.replaceFirst("^/", ""))) {
          if (in == null) {
            throw new IllegalArgumentException("no classpath resource " + resource);
          }
          return Buffer.buffer(in.readAllBytes());
        }
      }
      String path = location.startsWith("file:") ? location.substring("file:".length()) : location;
      return Buffer.buffer(Files.readAllBytes(Path.of(path)));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read TLS material " + location + ": " + e.getMessage(), e);
    }
  }
}
