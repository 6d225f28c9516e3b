package io.kstatefun.runtime.internals.http;

import io.kstatefun.routing.module.HttpTransportSpec;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * TLS and mutual TLS towards function endpoints, from StateFun's transport keys: {@code
 * trust_cacerts} (PEM CA certificates), {@code client_cert} + {@code client_key} (PEM, PKCS#8; the
 * key may be encrypted), or a PKCS#12 {@code client_cert} ({@code .p12}/{@code .pfx}). {@code
 * client_key_password} is, as in StateFun, the location of a file holding the password of the
 * encrypted PEM key or of the PKCS#12 file (surrounding whitespace is trimmed). Locations may be
 * plain paths or StateFun's {@code file:} and {@code classpath:} forms.
 *
 * <p>An {@code https} URL without {@code trust_cacerts} uses the JVM's default trust store. Host
 * names are always verified.
 */
public final class TlsSupport {

  private static final String ENCRYPTED_KEY = "ENCRYPTED PRIVATE KEY";

  private TlsSupport() {}

  static void configure(HttpClientOptions options, HttpTransportSpec transport) {
    Optional<String> ca = transport.trustCaCerts();
    Optional<String> cert = transport.clientCert();
    options.setVerifyHost(true);
    if (ca.isEmpty() && cert.isEmpty()) {
      return;
    }
    options.setSsl(true);
    ca.ifPresent(
        location -> options.setTrustOptions(new PemTrustOptions().addCertValue(read(location))));
    if (cert.isPresent()) {
      String certLocation = cert.get();
      String lower = certLocation.toLowerCase(Locale.ROOT);
      char[] password = transport.clientKeyPassword().map(TlsSupport::readPassword).orElse(null);
      if (lower.endsWith(".p12") || lower.endsWith(".pfx")) {
        options.setKeyCertOptions(
            new PfxOptions()
                .setValue(read(certLocation))
                .setPassword(password == null ? null : new String(password)));
      } else {
        String key =
            transport
                .clientKey()
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "transport.client_cert is a PEM certificate but transport.client_key is not set"));
        Buffer keyPem = read(key);
        if (keyPem.toString(StandardCharsets.US_ASCII).contains("BEGIN " + ENCRYPTED_KEY)) {
          if (password == null) {
            throw new IllegalArgumentException(
                "transport.client_key "
                    + key
                    + " is encrypted but transport.client_key_password is not set");
          }
          keyPem = decrypt(keyPem, password, key);
        }
        options.setKeyCertOptions(
            new PemKeyCertOptions().addCertValue(read(certLocation)).addKeyValue(keyPem));
      }
    }
  }

  /** Decrypts an encrypted PKCS#8 PEM key into an unencrypted PKCS#8 PEM key. */
  static Buffer decrypt(Buffer pem, char[] password, String location) {
    String text = pem.toString(StandardCharsets.US_ASCII);
    int begin = text.indexOf("-----BEGIN " + ENCRYPTED_KEY + "-----");
    int end = text.indexOf("-----END " + ENCRYPTED_KEY + "-----");
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException("transport.client_key " + location + " is not a PEM key");
    }
    String base64 =
        text.substring(begin + ("-----BEGIN " + ENCRYPTED_KEY + "-----").length(), end)
            .replaceAll("\\s", "");
    try {
      EncryptedPrivateKeyInfo info =
          new EncryptedPrivateKeyInfo(Base64.getDecoder().decode(base64));
      AlgorithmParameters params = info.getAlgParameters();
      // PBES2 keys (openssl's default) name their real algorithm in the parameters.
      String algorithm =
          params != null && info.getAlgName().startsWith("PBES2")
              ? params.toString()
              : info.getAlgName();
      SecretKeyFactory factory = SecretKeyFactory.getInstance(algorithm);
      Cipher cipher = Cipher.getInstance(algorithm);
      cipher.init(Cipher.DECRYPT_MODE, factory.generateSecret(new PBEKeySpec(password)), params);
      PKCS8EncodedKeySpec spec = info.getKeySpec(cipher);
      String out =
          "-----BEGIN PRIVATE KEY-----\n"
              + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(spec.getEncoded())
              + "\n-----END PRIVATE KEY-----\n";
      return Buffer.buffer(out);
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "cannot decrypt transport.client_key "
              + location
              + " with transport.client_key_password: "
              + e,
          e);
    }
  }

  /** The password in the file at {@code location}, surrounding whitespace trimmed. */
  public static char[] readPassword(String location) {
    return read(location).toString(StandardCharsets.UTF_8).strip().toCharArray();
  }

  /** The bytes at {@code location}: a path, or StateFun's {@code file:} and {@code classpath:}. */
  public static Buffer read(String location) {
    try {
      if (location.startsWith("classpath:")) {
        String resource = location.substring("classpath:".length());
        try (InputStream in =
            Thread.currentThread()
                .getContextClassLoader()
                .getResourceAsStream(resource.replaceFirst("^/", ""))) {
          if (in == null) {
            throw new IllegalArgumentException("no classpath resource " + resource);
          }
          return Buffer.buffer(in.readAllBytes());
        }
      }
      String path = location.startsWith("file:") ? location.substring("file:".length()) : location;
      return Buffer.buffer(Files.readAllBytes(Path.of(path)));
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read TLS material " + location + ": " + e.getMessage(), e);
    }
  }
}
