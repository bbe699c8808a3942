package io.connectedregistry.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.RegistryApplication;
import io.connectedregistry.bundle.TestBundles.Bundle;
import io.connectedregistry.bundle.TestBundles.Compression;
import io.connectedregistry.bundle.TestBundles.Image;
import io.connectedregistry.config.ConfigLoader;
import io.connectedregistry.config.RegistryConfig;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.SyncPhase;
import io.connectedregistry.storage.ChangeOrigin;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.sync.ImportCursor;
import io.connectedregistry.sync.SyncService;
import io.connectedregistry.sync.SyncState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sync cursor with a real parent (a registry of this project, in-process): a bundle exported
 * from the parent's data folder moves a child's cursor, so its next online sync transfers no blob
 * byte again; a bundle of another store leaves a recorded cursor alone; and a wrong guess made on
 * first use is corrected by the feed, which names the parent's store.
 */
class BundleCursorTest {
  @TempDir Path rootData;
  @TempDir Path otherData;
  @TempDir Path childData;
  @TempDir Path files;
  RegistryApplication root;
  int rootPort;
  Vertx vertx;
  LocalRegistryStorage child;
  SyncService sync;
  final Image one = TestBundles.image("cursor-one", 2, 200_000);
  final Image two = TestBundles.image("cursor-two", 1, 100_000);

  @BeforeEach
  void setUp() throws Exception {
    seed(rootData);
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      rootPort = s.getLocalPort();
    }
    Path config = Files.writeString(rootData.resolve("root.yaml"), "auth: {anonymousPull: true}\n");
    root = RegistryApplication.start(new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withConfig(config).withListen("127.0.0.1:" + rootPort).withData(rootData.toString())));
    vertx = Vertx.vertx();
    child = LocalRegistryStorage.open(childData, LocalRegistryStorage.Options.defaults());
  }

  @AfterEach
  void tearDown() {
    if (sync != null) {
      sync.stop();
    }
    child.close();
    vertx.close().toCompletionStage().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
    root.stop();
  }

  /** The same images in a data folder, as a client would push them. */
  void seed(Path data) {
    try (LocalRegistryStorage storage = LocalRegistryStorage.open(data, LocalRegistryStorage.Options.defaults())) {
      BundleImporter importer = new BundleImporter(storage,
          new BundleImporter.Options(null, ChangeOrigin.CLIENT, true, BundleLimits.DEFAULT));
      byte[] bytes = new Bundle().tag("app/one", "v1", one).tag("app/two", "v1", two).write(Compression.TAR);
      try (BundleImporter.Staged staged = importer.stage(new ByteArrayInputStream(bytes))) {
        staged.apply(null);
      }
    }
  }

  Path export(Path data, String name) {
    Path file = files.resolve(name);
    new BundleExporter(data, Clock.systemUTC()).exportToFile(
        new BundleExporter.Request(List.of("app/one", "app/two"), null), file,
        io.connectedregistry.bundle.Compression.ZSTD, TransferListener.NONE);
    return file;
  }

  SyncService childSync() throws Exception {
    Path file = Files.writeString(childData.resolve("child.yaml"), """
        parent: {endpoint: "127.0.0.1:%d", protocol: http}
        sync: {repositories: ["app/one", "app/two"], schedule: "0 0 1 1 *"}
        """.formatted(rootPort));
    RegistryConfig config = new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withConfig(file).withData(childData.toString()));
    return SyncService.create(vertx, config, child, vertx.createSharedWorkerExecutor("registry-storage", 4),
        Clock.systemUTC());
  }

  /** As the admin API does it: staged, then committed on the sync context. */
  Object[] importInto(Path bundle) throws Exception {
    BundleImporter importer = new BundleImporter(child,
        new BundleImporter.Options(null, ChangeOrigin.SYNC, true, BundleLimits.DEFAULT));
    try (InputStream in = Files.newInputStream(bundle);
        BundleImporter.Staged staged = importer.stage(in)) {
      BundleImporter.Result[] result = new BundleImporter.Result[1];
      Future<ImportCursor.Outcome> outcome = sync.importBundle(staged.bundle(), synced -> {
        result[0] = staged.apply(synced);
        return result[0].applied();
      });
      return new Object[] {result[0] == null ? null : result[0], await(outcome)};
    }
  }

  @Test
  void aBundleOfTheParentMovesTheCursorAndTheNextSyncTransfersNoBlobByte() throws Exception {
    Path bundle = export(rootData, "root.tar.zst");
    long rootHead = BundleMetadata.parse(readEntry(bundle)).cursor();
    sync = childSync();

    ImportCursor.Outcome outcome = (ImportCursor.Outcome) importInto(bundle)[1];

    assertTrue(outcome.advanced(), String.valueOf(outcome.reason()));
    assertEquals(0, outcome.before());
    assertEquals(rootHead, outcome.after());
    assertEquals(one.manifest().digest(), child.manifest("app/one", Reference.parse("v1")).orElseThrow().digest());

    sync.trigger();
    RegistryStatus done = awaitCycle();
    assertEquals(0, done.sync().lastCycle().blobsFetched(), done.toString());
    assertEquals(0, done.sync().lastCycle().bytes(), done.toString());
    assertEquals(0, done.sync().lastCycle().tagsCopied());
    assertEquals(rootHead, done.sync().cursor(), "the cycle followed the feed from the bundle's cursor");
    sync.stop();
    sync = null;
    SyncState state = SyncState.load(childData, "http://127.0.0.1:" + rootPort);
    assertTrue(state.following());
    assertEquals(rootStore(), state.store());
    assertEquals(one.manifest().digest().toString(), state.syncedDigest("app/one", "v1"),
        "imported tags are sync's: the parent's deletes apply to them");
  }

  @Test
  void aBundleOfAnotherStoreLeavesARecordedCursorAlone() throws Exception {
    sync = childSync();
    sync.trigger();
    RegistryStatus first = awaitCycle();
    long cursor = first.sync().cursor();
    seed(otherData);
    Path foreign = export(otherData, "other.tar.zst");

    ImportCursor.Outcome outcome = (ImportCursor.Outcome) importInto(foreign)[1];

    assertFalse(outcome.advanced());
    assertEquals(cursor, outcome.after());
    assertTrue(outcome.reason().contains("not the parent's store"), outcome.reason());
  }

  @Test
  void aWrongGuessOnFirstUseIsCorrectedByTheFeedWithAFullListing() throws Exception {
    seed(otherData);
    Path foreign = export(otherData, "other.tar.zst");
    sync = childSync();
    ImportCursor.Outcome outcome = (ImportCursor.Outcome) importInto(foreign)[1];
    assertTrue(outcome.advanced(), "never online: the bundle's store is trusted on first use");

    sync.trigger();
    RegistryStatus done = awaitCycle();

    sync.stop();
    sync = null;
    SyncState state = SyncState.load(childData, "http://127.0.0.1:" + rootPort);
    assertEquals(rootStore(), state.store(), "the feed named the parent's store");
    assertTrue(state.following());
    assertEquals(done.sync().cursor(), state.cursor());
    assertEquals(2, done.sync().lastCycle().repositories(), "a full listing of both repositories: " + done);
  }

  @Test
  void aRunningChildWhoseParentIsDownImportsThroughTheAdminApiAndItsCursorMoves() throws Exception {
    Path bundle = export(rootData, "root.tar.gz");
    long rootHead = BundleMetadata.parse(readEntry(bundle)).cursor();
    root.stop(); // the link is down
    child.close();
    String password;
    try (var store = io.connectedregistry.auth.AuthStore.open(childData, RegistryConfig.Mode.ReadOnly,
        io.connectedregistry.auth.Limits.DEFAULTS, new io.connectedregistry.auth.PasswordHasher(1_000), Clock.systemUTC())) {
      password = (String) new io.connectedregistry.auth.AuthAdministration(store, Clock.systemUTC()).createToken(
          "site-admin", List.of(io.connectedregistry.auth.AuthAdministration.rule("*", List.of("content/read"))),
          null, java.util.Optional.empty()).get("password");
    }
    int childPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      childPort = s.getLocalPort();
    }
    Path config = Files.writeString(childData.resolve("child.yaml"), """
        parent: {endpoint: "127.0.0.1:%d", protocol: http}
        sync: {repositories: ["app/one", "app/two"]}
        auth: {adminTokens: [site-admin]}
        """.formatted(rootPort));
    RegistryApplication site = RegistryApplication.start(new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withConfig(config).withListen("127.0.0.1:" + childPort).withData(childData.toString())));
    try {
      java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + childPort
              + "/_connected/v1/admin/bundles")).timeout(Duration.ofSeconds(60))
              .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                  ("site-admin:" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8)))
              .POST(java.net.http.HttpRequest.BodyPublishers.ofFile(bundle)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, response.statusCode(), response.body());
      io.vertx.core.json.JsonObject cursor = new io.vertx.core.json.JsonObject(response.body()).getJsonObject("cursor");
      assertTrue(cursor.getBoolean("advanced"), cursor.encode());
      assertEquals(rootHead, cursor.getLong("after"));
    } finally {
      site.stop();
    }
    child = LocalRegistryStorage.open(childData, LocalRegistryStorage.Options.defaults()); // for tearDown
    assertEquals(rootHead, SyncState.load(childData, "http://127.0.0.1:" + rootPort).cursor(), "written by the service");
    assertEquals(one.manifest().digest(), child.manifest("app/one", Reference.parse("v1")).orElseThrow().digest());
    root = RegistryApplication.start(new ConfigLoader(Map.of()).load(ConfigLoader.Flags.none()
        .withListen("127.0.0.1:" + rootPort).withData(rootData.toString()))); // for tearDown
  }

  /** The root's store id, as its bundles say it. */
  String rootStore() throws Exception {
    return BundleMetadata.parse(readEntry(export(rootData, "store-" + System.nanoTime() + ".tar"))).store();
  }

  RegistryStatus awaitCycle() throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      RegistryStatus status = await(sync.freshStatus());
      if (status.sync().syncState() == SyncPhase.Succeeded || status.sync().syncState() == SyncPhase.Failed) {
        assertEquals(SyncPhase.Succeeded, status.sync().syncState(), status.toString());
        assertNotNull(status.sync().lastCycle());
        return status;
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the cycle did not end within 60 s");
  }

  static byte[] readEntry(Path bundle) throws Exception {
    try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
        io.connectedregistry.bundle.Compression.decompressed(Files.newInputStream(bundle)))) {
      for (var e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        if (e.getName().equals(BundleMetadata.ENTRY)) {
          return tar.readAllBytes();
        }
      }
    }
    throw new AssertionError("no metadata in " + bundle);
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }
}
