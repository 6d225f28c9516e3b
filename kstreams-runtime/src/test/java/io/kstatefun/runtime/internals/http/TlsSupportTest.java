package io.kstatefun.runtime.internals.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kstatefun.runtime.testing.TestCertificates;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class TlsSupportTest {

  @Test
  void shouldDecryptAnEncryptedPkcs8KeyWithItsPassword(@TempDir Path dir) throws Exception {
    TestCertificates certs = TestCertificates.generate(dir);
    Buffer decrypted =
        TlsSupport.decrypt(
            Buffer.buffer(Files.readAllBytes(certs.clientKeyEncryptedPem)),
            TestCertificates.PASSWORD.toCharArray(),
            "k");
    assertThat(decrypted.toString().replaceAll("\\s", ""))
        .isEqualTo(Files.readString(certs.clientKeyPem).replaceAll("\\s", ""));
    assertThatThrownBy(
            () ->
                TlsSupport.decrypt(
                    Buffer.buffer(Files.readAllBytes(certs.clientKeyEncryptedPem)),
                    "wrong".toCharArray(),
                    "k"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot decrypt transport.client_key k");
  }

  @Test
  void shouldDecryptAKeyEncryptedByOpenssl(@TempDir Path dir) throws Exception {
    Path openssl = Path.of("/usr/bin/openssl");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isExecutable(openssl), "openssl not installed");
    TestCertificates certs = TestCertificates.generate(dir);
    Path encrypted = dir.resolve("openssl-encrypted.pem");
    Process p =
        new ProcessBuilder(
                openssl.toString(),
                "pkcs8",
                "-topk8",
                "-v2",
                "aes-256-cbc",
                "-in",
                certs.clientKeyPem.toString(),
                "-out",
                encrypted.toString(),
                "-passout",
                "pass:secret")
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
    Buffer decrypted =
        TlsSupport.decrypt(
            Buffer.buffer(Files.readAllBytes(encrypted)), "secret".toCharArray(), "k");
    assertThat(decrypted.toString().replaceAll("\\s", ""))
        .isEqualTo(Files.readString(certs.clientKeyPem).replaceAll("\\s", ""));
  }
}
