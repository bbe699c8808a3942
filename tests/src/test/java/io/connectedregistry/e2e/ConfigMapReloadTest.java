package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A configuration file mounted from a Kubernetes ConfigMap: the kubelet never edits the file in
 * place and nobody sends SIGHUP inside a pod. It writes each version into a new hidden folder and
 * swaps the {@code ..data} symlink to it atomically; the file the registry was given is a symlink
 * through {@code ..data}. The registry must notice the new content by itself
 * ({@code configWatchInterval}), apply it as SIGHUP does, and keep the old configuration when the
 * new file is broken.
 */
class ConfigMapReloadTest {
  /** Anonymous clients refused, even on loopback: {@code GET /v2/} is 401. */
  private static final String CLOSED = "configWatchInterval: PT1S\nauth:\n  anonymousPull: false\n";
  /**
   * Back to the loopback default (anonymous clients may do anything): {@code GET /v2/} is 200; and
   * a key that needs a restart, reported as such.
   */
  private static final String OPEN = "configWatchInterval: PT1S\nhttp:\n  maxConnections: 64\n";
  private static final String BROKEN = "configWatchInterval: PT1S\nmode: Sideways\n";

  private static RegistryProcess registry;
  private static RegistryClient client;
  private static Path mount;
  private static int version;

  @BeforeAll
  static void startRegistry() throws IOException {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "configuration files are this registry's own");
    registry = RegistryProcess.prepare("configmap-reload");
    mount = registry.workDir().resolve("configmap");
    publish(CLOSED);
    Files.createSymbolicLink(mount.resolve("config.yaml"), Path.of("..data/config.yaml"));
    registry.withArgs("--config", mount.resolve("config.yaml").toString()).start();
    client = new RegistryClient(registry);
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void a_new_configmap_version_applies_live_and_a_broken_one_changes_nothing() {
    status(client.get("/v2/"), 401);

    publish(OPEN);

    status(AuthSupport.await(() -> client.get("/v2/"), 200, Duration.ofSeconds(15)), 200);
    awaitLog("applied [auth.anonymousPull]; restart required for [http.maxConnections]",
        Duration.ofSeconds(5));

    publish(BROKEN);

    awaitLog("configuration file not applied", Duration.ofSeconds(15));
    String refused = registry.log().lines().filter(l -> l.contains("configuration file not applied"))
        .reduce((a, b) -> b).orElseThrow();
    assertTrue(refused.contains("mode"), refused);
    // Three more polls of the same broken file: it is reported once, not on every poll.
    sleep(3500);
    assertEquals(1, registry.log().lines().filter(l -> l.contains("configuration file not applied")).count(),
        registry.logTail(20));
    assertTrue(registry.isAlive());
    status(client.get("/v2/"), 200);
    assertEquals(1, registry.log().lines().filter(l -> l.contains("ready in")).count(),
        "applied without a restart: " + registry.logTail(20));
  }

  /**
   * What the kubelet's atomic writer does: the new content into a new timestamped folder, a
   * {@code ..data_tmp} symlink to it renamed over {@code ..data}, the old folder removed.
   */
  private static void publish(String content) {
    try {
      Files.createDirectories(mount);
      Path folder = mount.resolve("..2026_11_30_12_00_00." + (++version));
      Files.createDirectories(folder);
      Files.writeString(folder.resolve("config.yaml"), content, StandardCharsets.UTF_8);
      Path data = mount.resolve("..data");
      Path old = Files.isSymbolicLink(data) ? mount.resolve(Files.readSymbolicLink(data)) : null;
      Path tmp = mount.resolve("..data_tmp");
      Files.createSymbolicLink(tmp, folder.getFileName());
      Files.move(tmp, data, StandardCopyOption.ATOMIC_MOVE);
      if (old != null) {
        Files.delete(old.resolve("config.yaml"));
        Files.delete(old);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void awaitLog(String text, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    while (!registry.log().contains(text) && Instant.now().isBefore(deadline)) {
      sleep(100);
    }
    assertTrue(registry.log().contains(text), () -> "log should contain '" + text + "': "
        + registry.logTail(20));
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
