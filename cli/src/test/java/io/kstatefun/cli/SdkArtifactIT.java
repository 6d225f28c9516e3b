package io.kstatefun.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.kstatefun.protocol.Address;
import io.kstatefun.protocol.FromFunction;
import io.kstatefun.protocol.ToFunction;
import io.kstatefun.protocol.TypedValue;
import io.kstatefun.protocol.egress.KafkaProducerRecord;
import io.kstatefun.protocol.types.StringWrapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK as a separate project uses it: the parent POM, {@code kstatefun-remote-protocol} and
 * {@code kstatefun-sdk} this build produced are installed, as ordinary Maven artifacts, into a
 * repository private to this test (never the shared one), and a throwaway project that depends on
 * {@code kstatefun-sdk} alone builds the SDK README's five-minute function with Maven and serves
 * it. Everything else the builds need is read from the shared local repository (as a file://
 * repository) and, when missing there, from Maven Central. The throwaway project must get the
 * versions of the SDK's dependencies that this build tested.
 */
@Timeout(600)
class SdkArtifactIT {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @TempDir Path dir;

  @Test
  void shouldBuildAndServeTheReadmesFunctionInAProjectThatDependsOnlyOnTheInstalledSdk()
      throws Exception {
    String version = System.getProperty("kstatefun.version", "0.1.0-SNAPSHOT");
    Path shared =
        Path.of(
            System.getProperty(
                "kstatefun.sharedRepository",
                Path.of(System.getProperty("user.home"), ".m2", "repository").toString()));
    Path repo = dir.resolve("repository");
    Path settings = dir.resolve("settings.xml");
    // The shared repository is read first (releases only: it may hold stale kstatefun SNAPSHOTs);
    // what it lacks (e.g. maven-install-plugin, which `mvn verify` never runs) comes from Central.
    Files.writeString(
        settings,
        """
        <settings>
          <localRepository>%s</localRepository>
          <profiles>
            <profile>
              <id>shared-local-repository</id>
              <repositories>
                <repository>
                  <id>shared-local-repository</id>
                  <url>%s</url>
                  <snapshots><enabled>false</enabled></snapshots>
                </repository>
              </repositories>
              <pluginRepositories>
                <pluginRepository>
                  <id>shared-local-repository</id>
                  <url>%s</url>
                  <snapshots><enabled>false</enabled></snapshots>
                </pluginRepository>
              </pluginRepositories>
            </profile>
          </profiles>
          <activeProfiles>
            <activeProfile>shared-local-repository</activeProfile>
          </activeProfiles>
        </settings>
        """
            .formatted(repo, shared.toUri(), shared.toUri()));

    install(settings, ROOT.resolve("pom.xml"), ROOT.resolve("pom.xml"));
    install(
        settings,
        ROOT.resolve("remote-protocol/pom.xml"),
        ROOT.resolve("remote-protocol/target/kstatefun-remote-protocol-" + version + ".jar"));
    install(
        settings,
        ROOT.resolve("sdk/pom.xml"),
        ROOT.resolve("sdk/target/kstatefun-sdk-" + version + ".jar"));
    assertThat(
            repo.resolve(
                "io/kstatefun/kstatefun-sdk/" + version + "/kstatefun-sdk-" + version + ".jar"))
        .isRegularFile();

    Path project = Files.createDirectories(dir.resolve("greeter"));
    Files.writeString(project.resolve("pom.xml"), consumerPom(version));
    Path source =
        Files.createDirectories(project.resolve("src/main/java/example")).resolve("Greeter.java");
    Files.writeString(
        source,
        "package example;\n\n"
            + readmeFunction().replace(".listen(8000)", ".listen(Integer.parseInt(args[0]))"));
    assertThat(maven(project, settings, "package"))
        .as("mvn package of the throwaway project")
        .isZero();
    assertThat(jarNames(project.resolve("target/lib")))
        .as(
            "the SDK's dependencies as a project depending on it gets them: the versions this build tested")
        .contains(
            "kstatefun-sdk-" + version + ".jar", "kstatefun-remote-protocol-" + version + ".jar")
        .allMatch(name -> name.startsWith("kstatefun-") || testedJars().contains(name));

    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Process server =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                "target/classes" + java.io.File.pathSeparator + "target/lib/*",
                "example.Greeter",
                Integer.toString(port))
            .directory(project.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("server.log").toFile())
            .start();
    try {
      FromFunction response = invoke(port, "alice");
      FromFunction.InvocationResponse result = response.getInvocationResult();
      assertThat(result.getStateMutationsList())
          .extracting(FromFunction.PersistedValueMutation::getStateName)
          .containsExactly("seen");
      assertThat(result.getOutgoingEgressesList()).hasSize(1);
      FromFunction.EgressMessage egress = result.getOutgoingEgresses(0);
      assertThat(egress.getEgressNamespace() + "/" + egress.getEgressType())
          .isEqualTo("example/greets");
      KafkaProducerRecord record = KafkaProducerRecord.parseFrom(egress.getArgument().getValue());
      assertThat(record.getTopic()).isEqualTo("greetings");
      assertThat(record.getValueBytes().toStringUtf8()).isEqualTo("Hello alice for the 1. time");
    } finally {
      server.destroyForcibly();
      server.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static List<String> jarNames(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** The jars of this test's class path: the versions the reactor resolved and tested. */
  private static Set<String> testedJars() {
    return Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
        .map(entry -> Path.of(entry).getFileName().toString())
        .collect(Collectors.toSet());
  }

  /** The first Java block of sdk/README.md: "A function in five minutes". */
  private static String readmeFunction() throws IOException {
    String readme = Files.readString(ROOT.resolve("sdk/README.md"), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(readme);
    assertThat(m.find()).as("a java block in sdk/README.md").isTrue();
    assertThat(m.group(1)).as("the README's function").contains("class Greeter", ".listen(8000)");
    return m.group(1);
  }

  private static String consumerPom(String version) {
    return """
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>example</groupId>
          <artifactId>greeter</artifactId>
          <version>1.0</version>
          <properties>
            <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
            <maven.compiler.release>17</maven.compiler.release>
          </properties>
          <dependencies>
            <dependency>
              <groupId>io.kstatefun</groupId>
              <artifactId>kstatefun-sdk</artifactId>
              <version>%s</version>
            </dependency>
          </dependencies>
          <build>
            <plugins>
              <plugin><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
              <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.14.0</version></plugin>
              <plugin><artifactId>maven-surefire-plugin</artifactId><version>3.5.3</version></plugin>
              <plugin><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version></plugin>
              <plugin>
                <artifactId>maven-dependency-plugin</artifactId>
                <version>3.8.1</version>
                <executions>
                  <execution>
                    <phase>package</phase>
                    <goals><goal>copy-dependencies</goal></goals>
                    <configuration><outputDirectory>${project.build.directory}/lib</outputDirectory></configuration>
                  </execution>
                </executions>
              </plugin>
            </plugins>
          </build>
        </project>
        """
        .formatted(version);
  }

  /** {@code mvn install:install-file} of {@code file} with its POM into the test's repository. */
  private void install(Path settings, Path pom, Path file) throws Exception {
    assertThat(file)
        .as("built by this reactor before the cli module (mvn verify builds it)")
        .isRegularFile();
    int code =
        maven(
            dir,
            settings,
            "org.apache.maven.plugins:maven-install-plugin:3.1.4:install-file",
            "-Dfile=" + file,
            "-DpomFile=" + pom);
    assertThat(code).as("install-file " + file).isZero();
  }

  private int maven(Path workDir, Path settings, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    String home = System.getProperty("maven.home");
    command.add(home == null || home.isBlank() ? "mvn" : Path.of(home, "bin", "mvn").toString());
    command.addAll(List.of("-B", "-q", "-s", settings.toString()));
    command.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "mvn-", ".log");
    Process p =
        new ProcessBuilder(command)
            .directory(workDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(command + " did not finish within 5 minutes");
    }
    if (p.exitValue() != 0) {
      System.out.println(String.join(" ", command) + ":\n" + Files.readString(log));
    }
    return p.exitValue();
  }

  /**
   * Posts one invocation for {@code example/greeter/<id>} with the state attached, until the server
   * answers.
   */
  private static FromFunction invoke(int port, String id) throws Exception {
    ToFunction request =
        ToFunction.newBuilder()
            .setInvocation(
                ToFunction.InvocationBatchRequest.newBuilder()
                    .setTarget(
                        Address.newBuilder().setNamespace("example").setType("greeter").setId(id))
                    .addState(
                        ToFunction.PersistedValue.newBuilder()
                            .setStateName("seen")
                            .setStateValue(
                                TypedValue.newBuilder()
                                    .setTypename("io.statefun.types/int")
                                    .setHasValue(false)))
                    .addInvocations(
                        ToFunction.Invocation.newBuilder()
                            .setArgument(
                                TypedValue.newBuilder()
                                    .setTypename("io.statefun.types/string")
                                    .setHasValue(true)
                                    .setValue(
                                        StringWrapper.newBuilder()
                                            .setValue(id)
                                            .build()
                                            .toByteString()))))
            .build();
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest post =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/statefun"))
            .header("Content-Type", "application/octet-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(request.toByteArray()))
            .build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        HttpResponse<byte[]> response = client.send(post, HttpResponse.BodyHandlers.ofByteArray());
        assertThat(response.statusCode()).isEqualTo(200);
        return FromFunction.parseFrom(response.body());
      } catch (java.net.ConnectException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(
              "the function server did not listen on port " + port + " within 60 s", e);
        }
        Thread.sleep(100); // the server is still starting: poll again
      }
    }
  }
}
