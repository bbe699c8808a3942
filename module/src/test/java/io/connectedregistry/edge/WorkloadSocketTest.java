package io.connectedregistry.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SDK's unix-socket channel on JDK sockets, against a real unix-socket server (one request, then close). */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class WorkloadSocketTest {
  @TempDir Path dir;

  @Test
  void a_request_is_written_whole_and_the_answer_read_until_the_server_closes() throws Exception {
    Path socket = dir.resolve("workload.sock");
    String answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + "{\"certificate\":\"" + "x".repeat(5000) + "\"}";
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      CompletableFuture<String> received = CompletableFuture.supplyAsync(() -> {
        try (SocketChannel peer = server.accept()) {
          ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
          while (!new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            peer.read(buffer);
          }
          peer.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.US_ASCII)));
          return new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });

      WorkloadSocket channel = new WorkloadSocket();
      channel.open(socket.toString());
      channel.write("GET /trust-bundle?api-version=2018-06-28 HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      ByteArrayOutputStream read = new ByteArrayOutputStream();
      byte[] chunk = new byte[400]; // the SDK's buffer size
      for (int n = channel.read(chunk); n >= 0; n = channel.read(chunk)) {
        read.write(chunk, 0, n);
      }
      channel.close();

      assertEquals("GET /trust-bundle?api-version=2018-06-28 HTTP/1.1\r\n\r\n", received.get(10, TimeUnit.SECONDS));
      assertEquals(answer, read.toString(StandardCharsets.US_ASCII));
    }
  }

  @Test
  void a_missing_socket_fails_the_open_and_leaves_nothing_open() {
    WorkloadSocket channel = new WorkloadSocket();

    assertThrows(IOException.class, () -> channel.open(dir.resolve("absent.sock").toString()));
    assertThrows(IOException.class, () -> channel.read(new byte[10]));
  }
}
