package io.kstatefun.chaos.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class TcpProxyTest {

  private ServerSocket echo;
  private TcpProxy proxy;

  @BeforeEach
  void startEchoServer() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t =
        new Thread(
            () -> {
              while (!echo.isClosed()) {
                try {
                  Socket s = echo.accept();
                  Thread c =
                      new Thread(
                          () -> {
                            try (s;
                                InputStream in = s.getInputStream();
                                OutputStream out = s.getOutputStream()) {
                              in.transferTo(out);
                            } catch (IOException e) {
                              // connection reset: fine
                            }
                          });
                  c.setDaemon(true);
                  c.start();
                } catch (IOException e) {
                  return;
                }
              }
            });
    t.setDaemon(true);
    t.start();
    proxy = new TcpProxy("test-proxy", echo.getLocalPort());
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  private String roundTrip(Socket s, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    s.getOutputStream().write(bytes);
    s.getOutputStream().flush();
    byte[] back = s.getInputStream().readNBytes(bytes.length);
    return new String(back, StandardCharsets.UTF_8);
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
    s.setSoTimeout(10_000);
    return s;
  }

  @Test
  void shouldForwardBytesBothWays() throws IOException {
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "hello")).isEqualTo("hello");
      assertThat(roundTrip(s, "again")).isEqualTo("again");
    }
    assertThat(proxy.acceptedConnections()).isEqualTo(1);
  }

  @Test
  void shouldAddLatencyInDelayMode() throws IOException {
    proxy.delay(300);
    try (Socket s = connect()) {
      long t0 = System.nanoTime();
      assertThat(roundTrip(s, "slow")).isEqualTo("slow");
      assertThat((System.nanoTime() - t0) / 1_000_000)
          .isGreaterThanOrEqualTo(550); // 300 ms each way
    }
    proxy.pass();
  }

  @Test
  void shouldResetOpenConnectionsAndRefuseNewOnesInDropMode() throws Exception {
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "before")).isEqualTo("before");
      proxy.drop();
      assertThatThrownBy(
              () -> {
                roundTrip(s, "during");
                roundTrip(s, "during"); // the reset may need a second write to surface
              })
          .isInstanceOf(IOException.class);
    }
    try (Socket s = connect()) {
      assertThatThrownBy(
              () -> {
                String back = roundTrip(s, "refused");
                if (back.isEmpty()) {
                  throw new IOException("closed");
                }
              })
          .isInstanceOf(IOException.class);
    }
    proxy.pass();
    try (Socket s = connect()) {
      assertThat(roundTrip(s, "after")).isEqualTo("after");
    }
    assertThat(proxy.droppedConnections()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void shouldFollowANewUpstreamPort() throws IOException {
    try (ServerSocket other = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      proxy.upstream(other.getLocalPort());
      try (Socket s = connect();
          Socket accepted = other.accept()) {
        s.getOutputStream().write('x');
        s.getOutputStream().flush();
        assertThat(accepted.getInputStream().read()).isEqualTo('x');
      }
    }
  }
}
