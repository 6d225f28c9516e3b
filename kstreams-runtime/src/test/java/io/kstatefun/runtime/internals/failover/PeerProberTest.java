package io.kstatefun.runtime.internals.failover;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class PeerProberTest {

  private final PeerProber prober = new PeerProber(Duration.ofMillis(300));

  @Test
  @Timeout(30)
  void shouldReadARefusedConnectionAsRefused() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ProbeResult result = prober.probe(URI.create("http://127.0.0.1:" + port + PeerEndpoint.PATH));
    assertThat(result).isInstanceOf(ProbeResult.Refused.class);
  }

  @Test
  @Timeout(30)
  void shouldReadAnUnansweredConnectionAsUnknown() throws Exception {
    // accepts (as the kernel does for a SIGSTOPped process) and never answers
    try (ServerSocket s = new ServerSocket(0)) {
      List<Socket> accepted = new ArrayList<>();
      Thread acceptor =
          new Thread(
              () -> {
                try {
                  accepted.add(s.accept());
                } catch (Exception ignored) {
                  // closed
                }
              });
      acceptor.start();
      long start = System.nanoTime();
      ProbeResult result =
          prober.probe(URI.create("http://127.0.0.1:" + s.getLocalPort() + PeerEndpoint.PATH));
      assertThat(result).isInstanceOf(ProbeResult.Unknown.class);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);
    }
  }

  @Test
  @Timeout(30)
  void shouldReadTheIdentityOfALivePeer() throws Exception {
    PeerIdentity id = new PeerIdentity("app", "pid-7", "app-x", List.of(1), "RUNNING");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        PeerEndpoint.PATH,
        exchange -> {
          byte[] body = id.toJson().encode().getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.createContext(
        "/other",
        exchange -> {
          exchange.sendResponseHeaders(404, -1);
          exchange.close();
        });
    server.start();
    // a roomy timeout: this test is about reading the answer, not about timing
    PeerProber prober = new PeerProber(Duration.ofSeconds(10));
    try {
      int port = server.getAddress().getPort();
      assertThat(prober.probe(URI.create("http://127.0.0.1:" + port + PeerEndpoint.PATH)))
          .isEqualTo(new ProbeResult.Alive(id));
      assertThat(prober.probe(URI.create("http://127.0.0.1:" + port + "/other")))
          .isEqualTo(new ProbeResult.Alive(null));
    } finally {
      server.stop(0);
    }
  }
}
