package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.mindrot.jbcrypt.BCrypt;

/**
 * A real CNCF distribution registry ({@code docker-registry serve}, as the shared tools run it) on
 * 127.0.0.1 and a free port, storing in a test's temporary folder; optionally with htpasswd Basic
 * auth. Tests that need it are skipped only when the binary is missing.
 */
final class Distribution implements AutoCloseable {
  private static final Path BINARY = Path.of("/usr/bin/docker-registry");

  private final Process process;
  private final int port;
  private final boolean tls;

  private Distribution(Process process, int port, boolean tls) {
    this.process = process;
    this.port = port;
    this.tls = tls;
  }

  static void assumeInstalled() {
    assumeTrue(Files.isExecutable(BINARY), "docker-registry (CNCF distribution) is not installed");
  }

  /** No auth. */
  static Distribution start(Path dir) {
    return start(dir, null, null);
  }

  /** With htpasswd Basic auth for one user when {@code user} is not null. */
  static Distribution start(Path dir, String user, String password) {
    return start(dir, user, password, null, null);
  }

  /** Serving HTTPS with a PEM certificate and key; no auth. */
  static Distribution startTls(Path dir, Path certificate, Path key) {
    return start(dir, null, null, certificate, key);
  }

  private static Distribution start(Path dir, String user, String password, Path certificate, Path key) {
    assumeInstalled();
    try {
      Files.createDirectories(dir);
      int port = freePort();
      StringBuilder config = new StringBuilder("""
          version: 0.1
          log:
            level: warn
            accesslog:
              disabled: true
          storage:
            cache:
              blobdescriptor: inmemory
            filesystem:
              rootdirectory: %s
            delete:
              enabled: true
            maintenance:
              uploadpurging:
                enabled: false
          health:
            storagedriver:
              enabled: false
          http:
            addr: 127.0.0.1:%d
          """.formatted(dir.resolve("data"), port));
      if (certificate != null) {
        config.append("  tls:\n    certificate: %s\n    key: %s\n".formatted(certificate, key));
      }
      if (user != null) {
        // distribution's htpasswd accepts bcrypt only.
        Path htpasswd = dir.resolve("htpasswd");
        Files.writeString(htpasswd, user + ":" + BCrypt.hashpw(password, BCrypt.gensalt(5)) + "\n");
        config.append("auth:\n  htpasswd:\n    realm: test-realm\n    path: %s\n".formatted(htpasswd));
      }
      Path file = dir.resolve("config.yml");
      Files.writeString(file, config);
      Process process = new ProcessBuilder(BINARY.toString(), "serve", file.toString())
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("registry.log").toFile())
          .start();
      Distribution d = new Distribution(process, port, certificate != null);
      d.awaitUp(dir.resolve("registry.log"));
      return d;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitUp(Path log) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("docker-registry exited: " + Files.readString(log));
      }
      try {
        if (tls) {
          // The JDK does not trust the test CA: a TCP connection shows the server is listening.
          new java.net.Socket("127.0.0.1", port).close();
          return;
        }
        HttpURLConnection c = (HttpURLConnection) URI.create(url() + "/v2/").toURL().openConnection();
        c.setConnectTimeout(500);
        c.getResponseCode(); // 200, or 401 with auth: either way it is serving
        c.disconnect();
        return;
      } catch (IOException notYet) {
        sleep(100);
      }
    }
    close();
    throw new IllegalStateException("docker-registry did not come up on " + port + ": " + Files.readString(log));
  }

  int port() {
    return port;
  }

  String url() {
    return (tls ? "https" : "http") + "://127.0.0.1:" + port;
  }

  /** Where skopeo pushes: {@code 127.0.0.1:port}. */
  String hostPort() {
    return "127.0.0.1:" + port;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
