package io.kstatefun.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The peer systems' command-line options, run specs and set-up helpers (no process started). */
class PeersTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int bench(String... args) {
    return Bench.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void shouldReadTheSystemAndFixedLadderStepsOfARun() {
    Bench.RunCommand run = new Bench.RunCommand();
    new CommandLine(run)
        .parseArgs(
            "--system",
            "restate",
            "--workload",
            "counter",
            "--mode",
            "ladder",
            "--ladder-rates",
            "8000,16000,24000,32000",
            "--peer-home",
            "/somewhere");

    assertThat(SystemKind.parse(run.system)).isEqualTo(SystemKind.RESTATE);
    assertThat(run.ladderRates).containsExactly(8000.0, 16000.0, 24000.0, 32000.0);
    assertThat(run.environment.peerHome).isEqualTo(Path.of("/somewhere"));
    assertThat(new Bench.RunCommand().system).isNull(); // default applied by picocli on parse
    Bench.RunCommand defaults = new Bench.RunCommand();
    new CommandLine(defaults).parseArgs();
    assertThat(defaults.system).isEqualTo("kstatefun");
  }

  @Test
  void shouldRejectAnUnknownSystemAndAWorkloadAPeerDoesNotRunWithExitCodeTwo() {
    assertThat(bench("run", "--system", "flink-ml")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown system 'flink-ml'");
    err.reset();
    assertThat(bench("run", "--system", "restate", "--workload", "fanout")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--system restate runs the counter and chain workloads only");
    err.reset();
    assertThat(bench("suite", "--peers", "kstatefun")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--peers takes restate and statefun");
  }

  @Test
  void shouldDocumentTheSystemOptionInTheRunHelp() {
    assertThat(bench("help", "run")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("--system=S", "--ladder-rates=R", "--peer-home=DIR");
    out.reset();
    assertThat(bench("help", "suite")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--peers=SYSTEM");
  }

  @Test
  void shouldLabelResultsByTheirSystemAndRefusePeerWorkloadsOtherThanCounterAndChain() {
    RunSpec counter =
        RunSpec.builder("x", Workload.COUNTER).system(SystemKind.STATEFUN).rate(200).build();
    assertThat(counter.systemLabel()).isEqualTo("statefun");
    assertThat(counter.withWorkload(Workload.BASELINE).systemLabel()).isEqualTo("baseline");
    assertThat(counter.withSystem(SystemKind.KSTATEFUN).systemLabel()).isEqualTo("kstatefun");
    assertThat(counter.withSettings(Map.of("a", "b")).system()).isEqualTo(SystemKind.STATEFUN);
    assertThat(counter.withRate(300).withLabel("y").system()).isEqualTo(SystemKind.STATEFUN);
    assertThatThrownBy(
            () -> RunSpec.builder("x", Workload.SLOW).system(SystemKind.RESTATE).rate(200).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("restate peer runs the counter and chain workloads only");
  }

  @Test
  void shouldKeepEveryFixedStepAndItsOrder() {
    RunSpec.Ladder steps = RunSpec.Ladder.steps(List.of(8000.0, 16000.0), 10, 1000);
    assertThat(steps.fixedSteps()).isTrue();
    assertThat(steps.rates()).containsExactly(8000.0, 16000.0);
    assertThat(steps.stepS()).isEqualTo(10);
    assertThat(RunSpec.Ladder.defaults().fixedSteps()).isFalse();
    assertThatThrownBy(() -> RunSpec.Ladder.steps(List.of(), 10, 1000))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldGiveTheStatefunFunctionServerOnlyTheSdkJarOfTheModuleClassPath(@TempDir Path dir)
      throws IOException {
    Path lib = Files.createDirectories(dir.resolve("lib"));
    Files.createFile(lib.resolve("statefun-sdk-java-3.3.0.jar"));
    Files.createFile(lib.resolve("statefun-flink-core-3.3.0.jar"));
    Files.createFile(lib.resolve("protobuf-java-3.25.5.jar"));
    String own = dir.resolve("peer.jar").toString();

    String cp = StatefunPeer.sdkClasspath(own + File.pathSeparator + lib + File.separator + "*");

    assertThat(cp.split(File.pathSeparator))
        .containsExactly(own, lib.resolve("statefun-sdk-java-3.3.0.jar").toString());
    Files.delete(lib.resolve("statefun-sdk-java-3.3.0.jar"));
    assertThatThrownBy(
            () -> StatefunPeer.sdkClasspath(own + File.pathSeparator + lib + File.separator + "*"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no statefun-sdk-java jar");
  }

  @Test
  void shouldFindTheRestateServerBinaryRatherThanItsNodeWrapper(@TempDir Path home)
      throws IOException {
    Path scope = home.resolve("node_modules").resolve("@restatedev");
    Path wrapper = Files.createDirectories(scope.resolve("restate-server").resolve("bin"));
    Files.createFile(wrapper.resolve("restate-server")).toFile().setExecutable(true);
    assertThatThrownBy(() -> RestatePeer.serverBinary(home)).isInstanceOf(IOException.class);

    Path platform =
        Files.createDirectories(scope.resolve("restate-server-linux-x64").resolve("bin"));
    Path binary = Files.createFile(platform.resolve("restate-server"));
    binary.toFile().setExecutable(true);

    assertThat(RestatePeer.serverBinary(home)).isEqualTo(binary);
  }

  @Test
  void shouldShipTheRestatePeerFilesThePeerReads() throws IOException {
    Path restate = Path.of("peers", "restate");
    assertThat(restate.resolve("install.sh")).isExecutable();
    assertThat(restate.resolve("service.js")).isRegularFile();
    String template =
        Files.readString(restate.resolve("restate.toml.template"), StandardCharsets.UTF_8);
    assertThat(template)
        .contains(
            "@DATA_DIR@",
            "@FABRIC_PORT@",
            "@ADMIN_PORT@",
            "@INGRESS_PORT@",
            "@NUM_PARTITIONS@",
            "@BOOTSTRAP@");
    assertThat(Files.readString(restate.resolve("package.json"), StandardCharsets.UTF_8))
        .contains("\"@restatedev/restate-server\": \"1.7.12\"");
  }
}
