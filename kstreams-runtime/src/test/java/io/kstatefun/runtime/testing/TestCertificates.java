package io.kstatefun.runtime.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.PBEParameterSpec;

/**
 * A throw-away PKI made inside a test with the JDK's {@code keytool}: a CA, a server certificate
 * for {@code 127.0.0.1}/{@code localhost} and a client certificate, both signed by the CA, as
 * PKCS#12 stores and PEM files (the private keys as unencrypted and encrypted PKCS#8).
 */
public final class TestCertificates {

  /** Password of every PKCS#12 store and of the encrypted PEM key. */
  public static final String PASSWORD = "changeit";

  public final Path caPem;
  public final Path serverP12;
  public final Path clientP12;
  public final Path clientCertPem;
  public final Path clientKeyPem;
  public final Path clientKeyEncryptedPem;
  public final Path passwordFile;

  private TestCertificates(Path dir) {
    caPem = dir.resolve("ca.pem");
    serverP12 = dir.resolve("server.p12");
    clientP12 = dir.resolve("client.p12");
    clientCertPem = dir.resolve("client.pem");
    clientKeyPem = dir.resolve("client-key.pem");
    clientKeyEncryptedPem = dir.resolve("client-key-encrypted.pem");
    passwordFile = dir.resolve("key-password.txt");
  }

  /** Generates everything into {@code dir} (takes a few seconds: RSA key generation). */
  public static TestCertificates generate(Path dir)
      throws IOException, InterruptedException, GeneralSecurityException {
    TestCertificates c = new TestCertificates(dir);
    Path ca = dir.resolve("ca.p12");
    keytool(
        dir,
        "-genkeypair",
        "-alias",
        "ca",
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=kstatefun-test-ca",
        "-ext",
        "bc:c",
        "-validity",
        "2",
        "-keystore",
        ca.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        PASSWORD);
    keytool(
        dir,
        "-exportcert",
        "-alias",
        "ca",
        "-keystore",
        ca.toString(),
        "-storepass",
        PASSWORD,
        "-rfc",
        "-file",
        c.caPem.toString());
    issue(
        dir,
        ca,
        c.caPem,
        c.serverP12,
        "server",
        "san=ip:127.0.0.1,dns:localhost",
        dir.resolve("server.pem"));
    issue(dir, ca, c.caPem, c.clientP12, "client", "eku=clientAuth", c.clientCertPem);
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(c.clientP12)) {
      store.load(in, PASSWORD.toCharArray());
    }
    Key key = store.getKey("client", PASSWORD.toCharArray());
    Files.writeString(c.clientKeyPem, pem("PRIVATE KEY", key.getEncoded()));
    Files.writeString(
        c.clientKeyEncryptedPem,
        pem("ENCRYPTED PRIVATE KEY", encrypt(key.getEncoded(), PASSWORD.toCharArray())));
    Files.writeString(c.passwordFile, PASSWORD + "\n");
    return c;
  }

  private static void issue(
      Path dir, Path ca, Path caPem, Path store, String alias, String ext, Path certPem)
      throws IOException, InterruptedException {
    Path csr = dir.resolve(alias + ".csr");
    keytool(
        dir,
        "-genkeypair",
        "-alias",
        alias,
        "-keyalg",
        "RSA",
        "-keysize",
        "2048",
        "-dname",
        "CN=" + alias,
        "-validity",
        "2",
        "-keystore",
        store.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        PASSWORD);
    keytool(
        dir,
        "-certreq",
        "-alias",
        alias,
        "-keystore",
        store.toString(),
        "-storepass",
        PASSWORD,
        "-file",
        csr.toString());
    keytool(
        dir,
        "-gencert",
        "-alias",
        "ca",
        "-keystore",
        ca.toString(),
        "-storepass",
        PASSWORD,
        "-infile",
        csr.toString(),
        "-outfile",
        certPem.toString(),
        "-rfc",
        "-validity",
        "2",
        "-ext",
        ext);
    keytool(
        dir,
        "-importcert",
        "-alias",
        "ca",
        "-keystore",
        store.toString(),
        "-storepass",
        PASSWORD,
        "-file",
        caPem.toString(),
        "-noprompt");
    keytool(
        dir,
        "-importcert",
        "-alias",
        alias,
        "-keystore",
        store.toString(),
        "-storepass",
        PASSWORD,
        "-file",
        certPem.toString());
  }

  /** Encrypts a PKCS#8 key the way {@code openssl pkcs8 -topk8 -v2 aes-256-cbc} does (PBES2). */
  static byte[] encrypt(byte[] pkcs8, char[] password)
      throws GeneralSecurityException, IOException {
    String algorithm = "PBEWithHmacSHA256AndAES_256";
    SecureRandom random = new SecureRandom();
    byte[] salt = new byte[16];
    byte[] iv = new byte[16];
    random.nextBytes(salt);
    random.nextBytes(iv);
    Cipher cipher = Cipher.getInstance(algorithm);
    cipher.init(
        Cipher.ENCRYPT_MODE,
        SecretKeyFactory.getInstance(algorithm).generateSecret(new PBEKeySpec(password)),
        new PBEParameterSpec(salt, 10_000, new IvParameterSpec(iv)));
    byte[] encrypted = cipher.doFinal(pkcs8);
    // The JDK names the scheme by its PBES2 OID only when the parameters say PBES2.
    AlgorithmParameters params = AlgorithmParameters.getInstance("PBES2");
    params.init(cipher.getParameters().getEncoded());
    return new EncryptedPrivateKeyInfo(params, encrypted).getEncoded();
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private static void keytool(Path dir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool " + String.join(" ", args) + " failed: " + output);
    }
  }
}
