package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.body;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.Oci;
import io.connectedregistry.e2e.support.Oci.Blob;
import io.connectedregistry.e2e.support.Oci.Manifest;
import io.connectedregistry.e2e.support.RawConnections;
import io.connectedregistry.e2e.support.RawConnections.Connection;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A small device under connection floods, with the shipped small-device JVM settings
 * ({@code -Xmx24m}, {@code module/small-device.jvmopts}): request bodies announced but never sent
 * cost no memory, connections beyond {@code http.maxConnections} are closed at once, clients that
 * send their headers a byte a second are cut off after {@code http.headerTimeout}, and the
 * registry goes on serving pushes and pulls.
 */
class ResourceExhaustionTest {

  /** The defaults of {@code http.maxConnections}, {@code http.headerTimeout} and {@code http.unauthenticatedIdleTimeout}. */
  private static final int MAX_CONNECTIONS = 256;
  private static final Duration HEADER_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration UNAUTHENTICATED_IDLE = Duration.ofSeconds(10);

  private static final int FLOOD = 800;
  private static final int SLOW_LORIS = 20;
  /** The largest manifest a client may push, and how many large bodies arrive at once. */
  private static final int MIB = 1024 * 1024;
  private static final int MAX_MANIFEST = 4 * MIB;
  private static final int LARGE_BODIES = 12;

  private RegistryProcess registry;

  @AfterEach
  void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void announcedBodiesThatNeverComeAndSlowHeadersNeitherExhaustMemoryNorStopTheRegistry() throws Exception {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "the limits and JVM settings are this registry's own");
    registry = RegistryProcess.prepare("flood")
        .withJvmArgs("@" + RegistryProcess.smallDeviceJvmOptions());
    registry.start();
    String host = "Host: " + registry.hostPort() + "\r\n";
    // Headers that never end: one byte a second for longer than any timeout.
    String slowHeaders = "GET /v2/ HTTP/1.1\r\n" + host + "User-Agent: " + "s".repeat(200) + "\r\n\r\n";
    String announcedForm = "POST /oauth2/token HTTP/1.1\r\n" + host
        + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 65536\r\n\r\n";

    AtomicBoolean attackOver = new AtomicBoolean();
    long attackStart = System.nanoTime();
    List<Connection> slow;
    List<Connection> flood;
    Duration answeredDuring;
    try (RawConnections raw = new RawConnections(registry.port())) {
      slow = raw.trickle(SLOW_LORIS, slowHeaders);
      flood = raw.sendAndStall(FLOOD, announcedForm);
      // Meanwhile an ordinary client asks GET /v2/ every half second until it is answered.
      CompletableFuture<Duration> firstAnswer = CompletableFuture.supplyAsync(() -> {
        while (!attackOver.get()) {
          if (registry.probe("/v2/") == 200) {
            return Duration.ofNanos(System.nanoTime() - attackStart);
          }
          sleep(500);
        }
        return null;
      });
      raw.pumpUntilAllClosed(Duration.ofSeconds(60));
      answeredDuring = awaitOrNull(firstAnswer, Duration.ofSeconds(30));
    } finally {
      attackOver.set(true);
    }

    // After the attack (the attacker's connections are gone): GET /v2/, a push and a pull.
    int statusAfter = awaitStatus("/v2/", 200, Duration.ofSeconds(30));
    String pushPull = pushAndPull();
    String summary = "GET /v2/ during the attack first answered 200 after " + answeredDuring
        + "; after it: " + statusAfter + "; push and pull after it: " + pushPull + "; flood (" + FLOOD
        + "): " + describe(flood) + "; slow-loris (" + SLOW_LORIS + "): " + describe(slow)
        + "; slow-loris bytes sent: " + slow.stream().map(c -> String.valueOf(c.sent()))
            .collect(Collectors.joining(",")) + "; first flood answer: "
        + flood.stream().map(Connection::received).filter(s -> !s.isEmpty()).findFirst()
            .map(s -> s.lines().findFirst().orElse("")).orElse("none");

    System.out.println("flood: " + summary);

    assertTrue(registry.isAlive(), () -> "the registry process died: " + summary + "\n" + registry.logTail(40));
    assertFalse(registry.log().contains("OutOfMemoryError"),
        () -> "the registry ran out of memory: " + summary + "\n" + registry.logTail(20));
    assertTrue(answeredDuring != null && statusAfter == 200 && pushPull.equals("ok"),
        () -> "the registry should go on serving: " + summary + "\n" + registry.logTail(40));

    // Beyond the cap, connections are closed at once: long before any timeout could close them.
    Duration atOnce = HEADER_TIMEOUT.dividedBy(2);
    long closedAtOnce = flood.stream().filter(c -> c.isClosed() && c.closedAfter().compareTo(atOnce) < 0).count();
    assertTrue(FLOOD - closedAtOnce <= MAX_CONNECTIONS,
        () -> "at most " + MAX_CONNECTIONS + " flood connections should stay open longer than " + atOnce
            + " (the rest are over the cap): " + summary);
    // The accepted ones never send their body: closed once unauthenticated and idle.
    Duration idleBound = UNAUTHENTICATED_IDLE.plusSeconds(10);
    assertTrue(flood.stream().allMatch(c -> c.isClosed() && c.closedAfter().compareTo(idleBound) < 0),
        () -> "every flood connection should be closed by the registry within " + idleBound + ": " + summary);
    // Slow headers: closed by the header timeout (not before, not long after).
    for (Connection c : slow) {
      assertTrue(c.isClosed(), () -> "a slow-loris connection was still open: " + summary);
      assertTrue(c.closedAfter().compareTo(HEADER_TIMEOUT.minusSeconds(1)) >= 0
              && c.closedAfter().compareTo(HEADER_TIMEOUT.plusSeconds(10)) < 0,
          () -> "a slow-loris connection should be closed after the header timeout " + HEADER_TIMEOUT
              + ", not after " + c.closedAfter() + ": " + summary);
    }
  }

  @Test
  void aConnectionThatCarriedValidCredentialsMayIdleLongerThanOneThatDidNot() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "the limits are this registry's own");
    registry = AuthSupport.prepareWithConfig("idle", "auth:\n  anonymousPull: false\n"
        + "http:\n  unauthenticatedIdleTimeout: PT2S\n  idleTimeout: PT30S\n");
    registry.start();
    Credentials token = AuthSupport.createToken(registry, "idle-client", "--repository", "app/*", "content/read");
    AuthSupport.awaitAuthChangesSeen();
    String ping = "GET /v2/ HTTP/1.1\r\nHost: " + registry.hostPort() + "\r\n";

    try (RawConnections raw = new RawConnections(registry.port())) {
      Connection anonymous = raw.sendAndStall(1, ping + "\r\n").get(0);
      Connection authenticated = raw.sendAndStall(1, ping + "Authorization: " + token.basic() + "\r\n\r\n").get(0);
      raw.pump(Duration.ofSeconds(6));

      String summary = "anonymous: " + anonymous.received().lines().findFirst().orElse("no answer") + ", closed after "
          + anonymous.closedAfter() + "; with a token: " + authenticated.received().lines().findFirst().orElse("no answer")
          + ", closed after " + authenticated.closedAfter();
      assertTrue(anonymous.received().startsWith("HTTP/1.1 401") && authenticated.received().startsWith("HTTP/1.1 200"),
          summary);
      assertTrue(anonymous.isClosed() && anonymous.closedAfter().compareTo(Duration.ofMillis(1900)) >= 0,
          () -> "the anonymous connection should be closed after http.unauthenticatedIdleTimeout (2 s): " + summary);
      assertFalse(authenticated.isClosed(),
          () -> "the authenticated connection may idle for http.idleTimeout (30 s): " + summary);
    }
  }

  @Test
  void largeManifestsArrivingAtOnceAreRefusedRatherThanFillingTheHeap() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "the limits and JVM settings are this registry's own");
    registry = RegistryProcess.prepare("large-bodies")
        .withJvmArgs("@" + RegistryProcess.smallDeviceJvmOptions());
    registry.start();

    List<Connection> largest;
    List<Connection> large;
    try (RawConnections raw = new RawConnections(registry.port())) {
      largest = raw.sendAndStall(LARGE_BODIES, almostWholeManifest(registry, "big/app", "v1", MAX_MANIFEST));
      raw.pumpUntilAllClosed(Duration.ofSeconds(60));
    }
    try (RawConnections raw = new RawConnections(registry.port())) {
      large = raw.sendAndStall(LARGE_BODIES, almostWholeManifest(registry, "big/app", "v2", MIB));
      raw.pumpUntilAllClosed(Duration.ofSeconds(60));
    }
    boolean retryAfter = large.stream().filter(c -> c.received().startsWith("HTTP/1.1 503"))
        .allMatch(c -> c.received().toLowerCase(java.util.Locale.ROOT).contains("\r\nretry-after: "));
    String pushPull = pushAndPull();
    String summary = LARGE_BODIES + " manifest PUTs of " + MAX_MANIFEST + " bytes, all but the last byte sent: "
        + describe(largest) + "; answers: " + answers(largest) + ". " + LARGE_BODIES + " of " + MIB + " bytes: "
        + describe(large) + "; answers: " + answers(large) + "; push and pull afterwards: " + pushPull;
    System.out.println("large bodies: " + summary);

    assertTrue(registry.isAlive(), () -> "the registry process died: " + summary + "\n" + registry.logTail(40));
    assertFalse(registry.log().contains("OutOfMemoryError"),
        () -> "the registry ran out of memory: " + summary + "\n" + registry.logTail(20));
    assertTrue(largest.stream().allMatch(c -> c.received().startsWith("HTTP/1.1 413")),
        () -> "a 4 MiB manifest needs more memory than the small-device heap has for bodies: 413: " + summary);
    assertTrue(large.stream().anyMatch(c -> c.received().startsWith("HTTP/1.1 503")) && retryAfter,
        () -> "bodies beyond the memory budget should be refused 503 with Retry-After: " + summary);
    assertTrue(pushPull.equals("ok"), () -> "the registry should go on serving: " + summary);
  }

  private static String answers(List<Connection> connections) {
    return connections.stream().map(c -> c.received().lines().findFirst().orElse("none"))
        .collect(Collectors.groupingBy(line -> line, java.util.TreeMap::new, Collectors.counting())).toString();
  }

  @Test
  void anOutOfMemoryErrorEndsTheProcessSoThatItsSupervisorRestartsIt() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "the JVM settings are this registry's own");
    // An operator's mistake: a body budget larger than the heap. The shipped settings must turn
    // the OutOfMemoryError this allows into an exit, not a process that accepts and never answers.
    registry = AuthSupport.prepareWithConfig("oom", "http:\n  maxBodyMemory: 1G\n")
        .withJvmArgs("@" + RegistryProcess.smallDeviceJvmOptions());
    registry.start();

    try (RawConnections raw = new RawConnections(registry.port())) {
      raw.sendAndStall(LARGE_BODIES, almostWholeManifest(registry, "oom/app", "v1", MAX_MANIFEST));
      long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (registry.isAlive() && System.nanoTime() < end) {
        raw.pump(Duration.ofMillis(200));
      }
    }
    boolean exited = registry.awaitExit(Duration.ofSeconds(10));
    String log = registry.logTail(15);
    assertTrue(exited, () -> "the registry should exit after an OutOfMemoryError; it still runs (answers GET /v2/: "
        + registry.probe("/v2/") + ")\n" + log);
    assertTrue(registry.log().contains("Terminating due to java.lang.OutOfMemoryError"),
        () -> "the JVM should say it ends because of an OutOfMemoryError (exit code " + registry.exitCode() + ")\n" + log);
  }

  @Test
  void theShippedJvmSettingsExitOnOutOfMemoryAndTheContainerImagesUseThem() throws Exception {
    Path options = RegistryProcess.smallDeviceJvmOptions();
    assertTrue(Files.readAllLines(options).stream().map(String::strip).anyMatch("-XX:+ExitOnOutOfMemoryError"::equals),
        () -> options + " should hold -XX:+ExitOnOutOfMemoryError");
    Path repository = options.getParent().getParent();
    for (String dockerfile : List.of("Dockerfile.amd64", "Dockerfile.arm64v8")) {
      String text = Files.readString(repository.resolve(dockerfile));
      // The jar packs the file (its launcher's small-device profile); the image selects it.
      assertTrue(text.contains("COPY module/small-device.jvmopts module/"),
          () -> dockerfile + " should give the build stage the small-device JVM settings to pack");
      assertTrue(text.lines().anyMatch(l -> l.strip().equals("CONNECTED_REGISTRY_JVM=small-device")),
          () -> dockerfile + " should have the launcher start java with the small-device JVM settings");
      assertTrue(text.lines().anyMatch(l -> l.equals("ENTRYPOINT [\"java\", \"-jar\", \"/opt/connected-registry/connected-registry.jar\"]")),
          () -> dockerfile + " should start java through the jar's launcher, with no options of its own");
    }
  }

  /**
   * A manifest PUT declaring {@code size} bytes with all but the last: the registry must hold the
   * body while it waits for the rest.
   */
  private static String almostWholeManifest(RegistryProcess registry, String repository, String tag, int size) {
    return "PUT /v2/" + repository + "/manifests/" + tag + " HTTP/1.1\r\nHost: " + registry.hostPort()
        + "\r\nContent-Type: " + Oci.IMAGE_MANIFEST + "\r\nContent-Length: " + size + "\r\n\r\n"
        + "{".repeat(size - 1);
  }

  /** Polls {@code GET path} until it answers {@code expected} or {@code timeout} passes; the last status. */
  private int awaitStatus(String path, int expected, Duration timeout) {
    long end = System.nanoTime() + timeout.toNanos();
    int status = registry.probe(path);
    while (status != expected && System.nanoTime() < end) {
      sleep(500);
      status = registry.probe(path);
    }
    return status;
  }

  /** An ordinary push of an image and a pull of it: "ok", or what went wrong. */
  private String pushAndPull() {
    try {
      RegistryClient client = new RegistryClient(registry);
      Blob config = Oci.config("after-flood");
      Blob layer = Oci.layer(11, 200_000);
      client.pushBlob("flood/app", config.data());
      client.pushBlob("flood/app", layer.data());
      Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config, layer));
      client.pushManifest("flood/app", "v1", m.mediaType(), m.bytes());
      body(client.get("/v2/flood/app/manifests/v1", "Accept", m.mediaType()), m.bytes());
      body(client.get("/v2/flood/app/blobs/" + layer.digest()), layer.data());
      return "ok";
    } catch (RuntimeException | AssertionError e) {
      return "failed: " + e.getMessage();
    }
  }

  /** How many closed, and when: counts per second after opening. */
  private static String describe(List<Connection> connections) {
    long open = connections.stream().filter(c -> !c.isClosed()).count();
    String closed = connections.stream().filter(Connection::isClosed)
        .collect(Collectors.groupingBy(c -> c.closedAfter().toSeconds(), java.util.TreeMap::new,
            Collectors.counting()))
        .entrySet().stream().map(e -> e.getValue() + " after " + e.getKey() + "s")
        .collect(Collectors.joining(", "));
    return open + " still open; closed: " + (closed.isEmpty() ? "none" : closed);
  }

  private static <T> T awaitOrNull(CompletableFuture<T> future, Duration timeout) throws Exception {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return null;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
