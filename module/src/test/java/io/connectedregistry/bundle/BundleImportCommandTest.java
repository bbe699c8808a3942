package io.connectedregistry.bundle;

import io.connectedregistry.CommandLineRun;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.Main;
import io.connectedregistry.bundle.TestBundles.Bundle;
import io.connectedregistry.bundle.TestBundles.Compression;
import io.connectedregistry.bundle.TestBundles.Image;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.sync.SyncState;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code connected-registry bundle import} offline, on a stopped registry's data folder. */
class BundleImportCommandTest {
  @TempDir Path data;
  @TempDir Path files;
  final Image one = TestBundles.image("cli-one", 1, 10_000);


  CommandLineRun run(String... args) {
    return CommandLineRun.of(args);
  }

  @Test
  void importsIntoADataFolderAndPrintsTheReport() throws Exception {
    Path bundle = Files.write(files.resolve("b.tar.gz"), new Bundle().tag("cli/app", "v1", one).write(Compression.GZIP));

    CommandLineRun run = run("bundle", "import", "--data", data.toString(), "--no-progress", bundle.toString());

    assertEquals(0, run.exit(), run.err());
    JsonObject report = new JsonObject(run.out());
    assertEquals(1, report.getInteger("images"));
    assertEquals("cli/app", report.getJsonArray("tags").getJsonObject(0).getString("repository"));
    try (LocalRegistryStorage storage = LocalRegistryStorage.open(data, LocalRegistryStorage.Options.defaults())) {
      assertEquals(one.manifest().digest(), storage.manifest("cli/app", Reference.parse("v1")).orElseThrow().digest());
    }
  }

  @Test
  void aCorruptBundleExitsWithTheProblemAndChangesNothing() throws Exception {
    byte[] whole = new Bundle().tag("cli/app", "v1", one).write(Compression.TAR);
    Path cut = Files.write(files.resolve("cut.tar"), java.util.Arrays.copyOf(whole, whole.length - 3000));

    CommandLineRun run = run("bundle", "import", "--data", data.toString(), cut.toString());

    assertEquals(2, run.exit());
    assertTrue(run.err().contains("truncated") || run.err().contains("neither"), run.err());
    assertEquals("", run.out());
    try (LocalRegistryStorage storage = LocalRegistryStorage.open(data, LocalRegistryStorage.Options.defaults())) {
      assertTrue(storage.repositories("", 10).isEmpty());
    }
  }

  @Test
  void inAConnectedRegistryTheCursorMovesOfflineWhenTheBundleCoversTheScope() throws Exception {
    Path config = Files.writeString(files.resolve("child.yaml"), """
        parent: {endpoint: "127.0.0.1:9", protocol: http}
        sync: {repositories: ["cli/app"]}
        data: "%s"
        """.formatted(data));
    Bundle bundle = new Bundle().tag("cli/app", "v1", one);
    bundle.cursor = 77;
    Path file = Files.write(files.resolve("b.tar.zst"), bundle.write(Compression.ZSTD));

    CommandLineRun run = run("bundle", "import", "--config", config.toString(), file.toString());

    assertEquals(0, run.exit(), run.err());
    JsonObject cursor = new JsonObject(run.out()).getJsonObject("cursor");
    assertEquals(true, cursor.getBoolean("advanced"), cursor.encode());
    assertEquals(77, cursor.getLong("after"));
    SyncState state = SyncState.load(data, "http://127.0.0.1:9");
    assertEquals(77, state.cursor());
    assertEquals(bundle.store, state.store());
    assertEquals(one.manifest().digest().toString(), state.syncedDigest("cli/app", "v1"));
  }

  @Test
  void aWildcardScopeLeavesTheCursorAndSaysWhy() throws Exception {
    Path config = Files.writeString(files.resolve("child.yaml"), """
        parent: {endpoint: "127.0.0.1:9", protocol: http}
        sync: {repositories: ["cli/*"]}
        data: "%s"
        """.formatted(data));
    Path file = Files.write(files.resolve("b.tar"), new Bundle().tag("cli/app", "v1", one).write(Compression.TAR));

    CommandLineRun run = run("bundle", "import", "--config", config.toString(), file.toString());

    assertEquals(0, run.exit(), run.err());
    JsonObject cursor = new JsonObject(run.out()).getJsonObject("cursor");
    assertEquals(false, cursor.getBoolean("advanced"));
    assertTrue(cursor.getString("reason").contains("wildcard"), cursor.encode());
    assertEquals(0, SyncState.load(data, "http://127.0.0.1:9").cursor());
  }
}
