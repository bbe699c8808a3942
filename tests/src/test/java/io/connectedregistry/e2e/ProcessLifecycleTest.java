package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.body;
import static io.connectedregistry.e2e.support.Expect.errorWithStatusIn;
import static io.connectedregistry.e2e.support.Expect.header;
import static io.connectedregistry.e2e.support.Expect.status;
import static io.connectedregistry.e2e.support.RegistryClient.withQuery;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.Oci;
import io.connectedregistry.e2e.support.Oci.Blob;
import io.connectedregistry.e2e.support.Oci.Manifest;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import io.connectedregistry.e2e.support.Workspace;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The process as an operator sees it: health and readiness, the API version header, graceful
 * SIGTERM (in-flight requests finish), restart on the same data, ReadOnly mode and the
 * configuration file layering (file &lt; flags; unknown keys refused).
 */
class ProcessLifecycleTest {

  /** One registry for the tests that only stop and restart it; the others start their own. */
  private static RegistryProcess shared;
  private RegistryProcess registry;

  @BeforeAll
  static void startSharedRegistry() {
    shared = RegistryProcess.startFresh("lifecycle");
  }

  @AfterAll
  static void stopSharedRegistry() {
    if (shared != null) {
      shared.close();
    }
  }

  /** The shared registry, started again if an earlier test left it stopped. */
  private static RegistryProcess liveShared() {
    if (!shared.isAlive()) {
      shared.awaitExit(Duration.ofSeconds(20));
      shared.start();
    }
    return shared;
  }

  @AfterEach
  void stopOwnRegistry() {
    if (registry != null && registry != shared) {
      registry.close();
    }
  }

  @Test
  void healthReadinessAndTheApiBaseAnswer200() {
    registry = liveShared();
    RegistryClient client = new RegistryClient(registry);

    status(client.get("/healthz"), 200);
    status(client.get("/readyz"), 200);
    header(status(client.get("/v2/"), 200), "Docker-Distribution-API-Version", "registry/2.0");
  }

  @Test
  void everyKindOfAnswerCarriesTheDistributionApiVersionHeader() {
    registry = liveShared();
    RegistryClient client = new RegistryClient(registry);
    String repo = "version/check";
    byte[] data = Digests.randomBytes(1, 100);
    String digest = Digests.sha256(data);

    Response start = status(client.post("/v2/" + repo + "/blobs/uploads/", new byte[0]), 202);
    Response created = status(client.put(withQuery(start.location(), "digest", digest), data), 201);
    Response blob = status(client.get("/v2/" + repo + "/blobs/" + digest), 200);
    Response missing = status(client.get("/v2/" + repo + "/blobs/" + Digests.sha256(new byte[0])), 404);
    Response tags = client.get("/v2/" + repo + "/tags/list");
    Response badName = client.get("/v2/Bad..Name/tags/list");

    for (Response r : List.of(start, created, blob, missing, tags, badName)) {
      header(r, "Docker-Distribution-API-Version", "registry/2.0");
    }
  }

  @Test
  void aRegistryStoppedWithSigtermServesEverythingAfterARestart() {
    registry = liveShared();
    RegistryClient client = new RegistryClient(registry);
    Blob config = Oci.config("restart");
    Blob layer = Oci.layer(7, 300_000);
    client.pushBlob("restart/app", config.data());
    client.pushBlob("restart/app", layer.data());
    Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config, layer));
    client.pushManifest("restart/app", "v1", m.mediaType(), m.bytes());

    registry.stop();
    assertTrue(!registry.isAlive());
    registry.start();

    RegistryClient after = new RegistryClient(registry);
    body(after.get("/v2/restart/app/manifests/v1", "Accept", Oci.IMAGE_MANIFEST), m.bytes());
    body(after.get("/v2/restart/app/blobs/" + layer.digest()), layer.data());
    assertEquals(List.of("v1"), ManifestApiTest.strings(after.get("/v2/restart/app/tags/list").json().path("tags")));
  }

  /**
   * sqlite-jdbc used to write its native library into the temporary folder on every start (a
   * stale copy after each crash); the registry keeps one copy in the data folder and reuses it.
   */
  @Test
  void startsLoadSqliteFromTheDataFolderAndWriteNothingIntoTheTemporaryFolder() throws IOException {
    registry = RegistryProcess.prepare("native-library");
    Path tmp = Files.createDirectories(registry.workDir().resolve("tmp"));
    registry.withJvmArgs("-Djava.io.tmpdir=" + tmp).start();
    registry.stop();
    registry.start();
    assertEquals(200, registry.probe("/readyz"));
    try (var files = Files.list(tmp)) {
      assertEquals(List.of(), files.map(f -> f.getFileName().toString())
          .filter(f -> f.contains("sqlite")).sorted().toList(), "SQLite files in the temporary folder");
    }
    try (var copies = Files.walk(registry.dataDir().resolve("native"))) {
      assertEquals(1, copies.filter(f -> f.getFileName().toString().equals("libsqlitejdbc.so")).count(),
          "copies of the library in DATA/native");
    }
  }

  /**
   * {@code java -jar} without JVM options runs (through the launcher) with the registry's own heap
   * and collector. With the launcher off ({@code CONNECTED_REGISTRY_JVM=off}) the JVM picks G1 sized
   * for a server (a quarter of the RAM, 1/64 committed at once); the registry then bounds G1's free
   * ratios through the JVM's manageable flags so the heap stays near its live size. A heap someone
   * chose ({@code -Xmx}) is left as it is, and the launcher does not run.
   */
  @Test
  void withoutHeapSettingsTheRegistryBoundsG1sFreeHeapAndLeavesAChosenHeapAlone() {
    String launched = vmFlags(liveShared());
    assertTrue(launched.contains("-XX:+UseSerialGC") && launched.contains("-XX:MaxHeapSize=134217728"),
        "flags of java -jar without settings: " + launched);

    registry = RegistryProcess.prepare("untuned").withEnv(Map.of("CONNECTED_REGISTRY_JVM", "off")).start();
    String flags = vmFlags(registry);
    assertTrue(flags.contains("-XX:MaxHeapFreeRatio=30") && flags.contains("-XX:MinHeapFreeRatio=10")
        && flags.contains("-XX:G1PeriodicGCInterval=60000"), "flags with the launcher off: " + flags);
    registry.close();

    registry = RegistryProcess.prepare("chosen-heap").withJvmArgs("-Xmx96m").start();
    String chosen = vmFlags(registry);
    assertTrue(!chosen.contains("MaxHeapFreeRatio") && !chosen.contains("G1PeriodicGCInterval")
        && !chosen.contains("UseSerialGC"), "flags of java -Xmx96m -jar: " + chosen);
    assertTrue(!registry.log().contains("started by the launcher"), registry.logTail(10));
  }

  /** Netty's JFR events cost ~50 classes before the first answer; off unless a flag asks for them. */
  @Test
  void nettysJfrEventsAreOffUnlessAskedFor() {
    String properties = jcmd(liveShared(), "VM.system_properties");
    assertTrue(properties.contains("io.netty.jfr.enabled=false"), properties);
  }

  private static String jcmd(RegistryProcess process, String command) {
    Path java = Path.of(ProcessHandle.current().info().command().orElseThrow());
    return Command.run(List.of(java.resolveSibling("jcmd").toString(), Long.toString(process.pid()), command))
        .assertOk().stdout();
  }

  private static String vmFlags(RegistryProcess process) {
    return jcmd(process, "VM.flags");
  }

  @Test
  void aGracefulStopLetsAnInFlightUploadFinish() throws Exception {
    registry = liveShared();
    RegistryClient client = new RegistryClient(registry);
    byte[] blob = Digests.randomBytes(99, 6 * 1024 * 1024);
    String digest = Digests.sha256(blob);
    URI upload = client.startUpload("graceful/app");

    // the body trickles in over about 2 s; SIGTERM arrives after about 0.5 s
    HttpRequest put = HttpRequest.newBuilder(URI.create(withQuery(upload, "digest", digest)))
        .timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/octet-stream")
        .PUT(BodyPublishers.fromPublisher(BodyPublishers.ofInputStream(() -> slow(blob, 256 * 1024, 80)), blob.length))
        .build();
    CompletableFuture<HttpResponse<String>> answer = client.http().sendAsync(put, HttpResponse.BodyHandlers.ofString());
    Thread.sleep(500);
    assertTrue(!answer.isDone(), "the upload should still be in flight when SIGTERM is sent");
    registry.sigterm();

    HttpResponse<String> r = answer.get(60, TimeUnit.SECONDS);
    assertEquals(201, r.statusCode(), () -> "the in-flight upload should finish: " + r.statusCode() + " " + r.body());
    assertTrue(registry.awaitExit(Duration.ofSeconds(20)), "the registry should exit after SIGTERM");
    registry.start();
    body(new RegistryClient(registry).get("/v2/graceful/app/blobs/" + digest), blob);
  }

  @Test
  void anUploadInterruptedByARestartResumesWhereItStopped() {
    registry = liveShared();
    RegistryClient client = new RegistryClient(registry);
    byte[] blob = Digests.randomBytes(123, 200_000);
    String digest = Digests.sha256(blob);
    URI upload = client.startUpload("resume/app");
    Response first = status(client.patch(upload.toString(), java.util.Arrays.copyOfRange(blob, 0, 120_000),
        "Content-Type", "application/octet-stream", "Content-Range", "0-119999"), 202);

    registry.restart();

    RegistryClient after = new RegistryClient(registry);
    Response state = status(after.get(first.location().toString()), 204);
    assertTrue(String.valueOf(state.headerOrNull("Range")).matches("(bytes=)?0-119999"), () -> "Range: " + state);
    Response rest = status(after.patch(state.location().toString(), java.util.Arrays.copyOfRange(blob, 120_000, blob.length),
        "Content-Type", "application/octet-stream", "Content-Range", "120000-199999"), 202);
    status(after.put(withQuery(rest.location(), "digest", digest), new byte[0]), 201);
    body(after.get("/v2/resume/app/blobs/" + digest), blob);
  }

  /** An InputStream over {@code data} that pauses {@code pauseMs} after every {@code step} bytes. */
  private static InputStream slow(byte[] data, int step, long pauseMs) {
    return new ByteArrayInputStream(data) {
      private int sincePause;

      @Override
      public synchronized int read(byte[] b, int off, int len) {
        if (sincePause >= step) {
          sincePause = 0;
          try {
            Thread.sleep(pauseMs);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        int n = super.read(b, off, Math.min(len, step - sincePause));
        if (n > 0) {
          sincePause += n;
        }
        return n;
      }
    };
  }

  @Test
  void readOnlyModeFromTheConfigFileRefusesWritesServesPullsAndAFlagOverridesIt() throws IOException {
    registry = RegistryProcess.startFresh("modes");
    RegistryClient client = new RegistryClient(registry);
    Blob config = Oci.config("modes");
    client.pushBlob("modes/app", config.data());
    Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config));
    client.pushManifest("modes/app", "v1", m.mediaType(), m.bytes());
    registry.stop();
    Path file = registry.workDir().resolve("readonly.yaml");
    Files.writeString(file, "mode: ReadOnly\n");

    registry.withArgs("--config", file.toString()).start();
    RegistryClient ro = new RegistryClient(registry);
    body(ro.get("/v2/modes/app/manifests/v1", "Accept", Oci.IMAGE_MANIFEST), m.bytes());
    body(ro.get("/v2/modes/app/blobs/" + config.digest()), config.data());
    List<Integer> refused = List.of(401, 403, 405);
    errorWithStatusIn(ro.post("/v2/modes/app/blobs/uploads/", new byte[0]), refused, "DENIED", "UNSUPPORTED", "UNAUTHORIZED");
    errorWithStatusIn(ro.put("/v2/modes/app/manifests/v2", m.bytes(), "Content-Type", m.mediaType()), refused,
        "DENIED", "UNSUPPORTED", "UNAUTHORIZED");
    errorWithStatusIn(ro.delete("/v2/modes/app/manifests/" + m.digest()), refused, "DENIED", "UNSUPPORTED", "UNAUTHORIZED");
    body(ro.get("/v2/modes/app/manifests/v1", "Accept", Oci.IMAGE_MANIFEST), m.bytes());
    registry.stop();

    registry.withArgs("--config", file.toString(), "--mode", "ReadWrite").start();
    new RegistryClient(registry).pushManifest("modes/app", "v2", m.mediaType(), m.bytes());
  }

  @Test
  void anUnknownConfigurationKeyIsRefusedAtStartWithAMessageNamingIt() throws IOException {
    registry = RegistryProcess.prepare("bad-config");
    Path file = registry.workDir().resolve("bad.yaml");
    Files.writeString(file, "mode: ReadWrite\nlogLevel: Information\nbogusSetting: 42\n");

    Command.Result r = RegistryProcess.runJar(20, "--listen", registry.hostPort(), "--data",
        registry.dataDir().toString(), "--config", file.toString());

    assertNotEquals(0, r.exitCode(), r::describe);
    assertTrue((r.stdout() + r.stderr()).contains("bogusSetting"), () -> "the message should name the key: " + r.describe());
    assertEquals(-1, registry.probe("/healthz"), "nothing should be listening");
  }

  @Test
  void aBadValueIsRefusedAtStartWithAMessageNamingTheKey() throws IOException {
    registry = RegistryProcess.prepare("bad-value");
    Path file = Workspace.dir("bad-value-config").resolve("bad.yaml");
    Files.writeString(file, "mode: ReadSometimes\n");

    Command.Result r = RegistryProcess.runJar(20, "--listen", registry.hostPort(), "--data",
        registry.dataDir().toString(), "--config", file.toString());

    assertNotEquals(0, r.exitCode(), r::describe);
    assertTrue((r.stdout() + r.stderr()).contains("mode"), () -> "the message should name the key: " + r.describe());
  }
}
