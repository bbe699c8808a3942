package io.connectedregistry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.storage.StorageException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start opens the stores on a thread of its own while Vert.x is made (RegistryApplication): a
 * start that fails on either side must say why and leave nothing behind, neither Vert.x threads
 * nor the data folder's lock.
 */
class RegistryApplicationStartTest {

  @Test
  void aDataFolderInUseFailsTheStartAndLeavesNoVertxBehind(@TempDir Path data) throws Exception {
    RegistryApplication first = RegistryApplication.start(config(freePort(), data));
    try {
      long loopsBefore = eventLoopThreads();
      StorageException refused = assertThrows(StorageException.class,
          () -> RegistryApplication.start(config(freePort(), data)));
      assertTrue(refused.getMessage().contains("in use by another registry process"), refused.getMessage());
      awaitEventLoopThreads(loopsBefore);
      assertEquals(0, threadsNamed("registry-open"), "the opening thread is done");
    } finally {
      first.stop();
    }
  }

  @Test
  void aStartThatCannotListenReleasesTheDataFolder(@TempDir Path data) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      assertThrows(Exception.class, () -> RegistryApplication.start(config(taken.getLocalPort(), data)));
    }
    int port = freePort();
    RegistryApplication again = RegistryApplication.start(config(port, data));
    try {
      HttpResponse<String> ready = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ready.statusCode(), "the same data folder opens again");
    } finally {
      again.stop();
    }
  }

  private static RegistryConfig config(int port, Path data) {
    return new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withListen("127.0.0.1:" + port).withData(data.toString()));
  }

  /** Vert.x threads: the event loops, the blocked-thread checker, the acceptor. */
  private static long eventLoopThreads() {
    return threadsNamed("vert");
  }

  private static long threadsNamed(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith(prefix)).count();
  }

  private static void awaitEventLoopThreads(long expected) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (eventLoopThreads() > expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(expected, eventLoopThreads(), "the failed start's Vert.x is closed (its threads gone)");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }
}
