package io.connectedregistry.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.bundle.TestBundles.Bundle;
import io.connectedregistry.bundle.TestBundles.Compression;
import io.connectedregistry.bundle.TestBundles.Image;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.oci.RegistryException;
import io.connectedregistry.storage.ChangeOrigin;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.RegistryStorage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The importer on a real store: a good bundle makes every image whole with the digests it had; a
 * bad one (cut short, a flipped byte, a wrong size, a missing blob, a hostile path, an oversized
 * document, a full disk) changes nothing (tags, blobs, uploads) and names what is wrong.
 */
class BundleImporterTest {
  @TempDir Path data;
  LocalRegistryStorage storage;
  final Image one = TestBundles.image("one", 2, 300_000);
  final Image two = TestBundles.image("two", 1, 50_000);

  @BeforeEach
  void open() {
    storage = LocalRegistryStorage.open(data, LocalRegistryStorage.Options.defaults());
  }

  @AfterEach
  void close() {
    storage.close();
  }

  BundleImporter.Result importBytes(byte[] bytes) {
    return importBytes(bytes, null);
  }

  BundleImporter.Result importBytes(byte[] bytes, String repository) {
    BundleImporter importer = new BundleImporter(storage,
        new BundleImporter.Options(repository, ChangeOrigin.CLIENT, true, BundleLimits.DEFAULT));
    try (BundleImporter.Staged staged = importer.stage(new ByteArrayInputStream(bytes))) {
      return staged.apply(null);
    }
  }

  Bundle goodBundle() {
    return new Bundle().tag("factory/app", "v1", one).tag("factory/app", "v2", two).tag("factory/tools", "v1", two);
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void aGoodBundleMakesEveryImageWholeWithTheSameDigests(Compression compression) {
    BundleImporter.Result result = importBytes(goodBundle().write(compression));

    assertEquals("bundle", result.format());
    assertEquals(3, result.images());
    assertEquals(3, result.tagsSet().size());
    assertEquals(one.manifest().digest(), storage.manifest("factory/app", Reference.parse("v1")).orElseThrow().digest());
    assertEquals(two.manifest().digest(), storage.manifest("factory/tools", Reference.parse("v1")).orElseThrow().digest());
    assertArrayEquals(one.manifest().bytes(), storage.manifest("factory/app", Reference.parse("v1")).orElseThrow().bytes());
    for (TestBundles.Blob blob : one.blobs()) {
      assertEquals(blob.bytes().length, storage.blobSize("factory/app", blob.digest()).orElseThrow());
      assertArrayEquals(blob.bytes(), read("factory/app", blob.digest()));
    }
    for (TestBundles.Blob blob : two.blobs()) {
      assertTrue(storage.blobSize("factory/tools", blob.digest()).isPresent(), "linked into every repository that needs it");
    }
    assertEquals(List.of(), uploads(), "no upload left behind");
    assertEquals(5, result.blobsWritten(), "one's 3 blobs and two's 2, each written once");
    assertEquals(2, result.blobsLinked(), "two's blobs linked into its second repository");
  }

  @Test
  void importingTheSameBundleTwiceChangesNothingTheSecondTime() {
    importBytes(goodBundle().write(Compression.TAR));
    Snapshot before = snapshot();
    BundleImporter.Result again = importBytes(goodBundle().write(Compression.TAR));
    assertEquals(before, snapshot());
    assertEquals(3, again.tagsUnchanged());
    assertEquals(0, again.blobsWritten());
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void aBundleCutShortAnywhereChangesNothingAndSaysWhere(Compression compression) {
    importBytes(new Bundle().tag("factory/app", "v0", two).write(Compression.TAR)); // something to keep
    Snapshot before = snapshot();
    byte[] whole = goodBundle().write(compression);
    for (double fraction : new double[] {0.001, 0.05, 0.3, 0.5, 0.8, 0.97}) {
      byte[] cut = Arrays.copyOf(whole, (int) (whole.length * fraction));
      RegistryException e = assertThrows(RegistryException.class, () -> importBytes(cut),
          "cut at " + fraction);
      assertEquals(before, snapshot(), "cut at " + fraction + " changed something: " + e.getMessage());
      assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("neither")
          || e.getMessage().contains("nothing was imported"), "cut at " + fraction + ": " + e.getMessage());
    }
    // A cut inside a layer names it.
    byte[] tar = goodBundle().write(Compression.TAR);
    RegistryException inLayer = assertThrows(RegistryException.class,
        () -> importBytes(Arrays.copyOf(tar, (int) (tar.length * 0.5))));
    assertTrue(inLayer.getMessage().contains("truncated or corrupt inside blobs/sha256/"), inLayer.getMessage());
  }

  @Test
  void aFlippedByteInALayerIsNamedWithBothDigestsAndChangesNothing() {
    Snapshot before = snapshot();
    LinkedHashMap<String, byte[]> entries = goodBundle().entries();
    String layer = TestBundles.path(one.layers().get(1).digest());
    byte[] flipped = entries.get(layer).clone();
    flipped[1234] ^= 0x40;
    entries.put(layer, flipped);

    RegistryException e = assertThrows(RegistryException.class,
        () -> importBytes(TestBundles.tar(entries, Compression.GZIP)));

    assertEquals(ErrorCode.DIGEST_INVALID, e.code());
    assertTrue(e.detail().contains(layer) && e.detail().contains(Digest.sha256(flipped).toString())
        && e.detail().contains(one.layers().get(1).digest().hex()), e.detail());
    assertEquals(before, snapshot());
  }

  @Test
  void aWrongSizeIsNamedAndChangesNothing() {
    Snapshot before = snapshot();
    Bundle bundle = goodBundle();
    LinkedHashMap<String, byte[]> entries = bundle.entries();
    String index = new String(entries.get("index.json"), StandardCharsets.UTF_8);
    int size = one.manifest().bytes().length;
    entries.put("index.json", index.replace("\"size\":" + size, "\"size\":" + (size + 1)).getBytes(StandardCharsets.UTF_8));

    RegistryException e = assertThrows(RegistryException.class, () -> importBytes(TestBundles.tar(entries, Compression.TAR)));

    assertEquals(ErrorCode.SIZE_INVALID, e.code());
    assertTrue(e.detail().contains(one.manifest().digest().toString()) && e.detail().contains(String.valueOf(size + 1)), e.detail());
    assertEquals(before, snapshot());
  }

  @Test
  void aManifestNamingABlobNeitherInTheBundleNorHereIsRefusedWithItsDigest() {
    Snapshot before = snapshot();
    LinkedHashMap<String, byte[]> entries = goodBundle().entries();
    Digest gone = one.layers().get(0).digest();
    entries.remove(TestBundles.path(gone));

    RegistryException e = assertThrows(RegistryException.class, () -> importBytes(TestBundles.tar(entries, Compression.TAR)));

    assertEquals(ErrorCode.MANIFEST_BLOB_UNKNOWN, e.code());
    assertTrue(e.detail().contains(gone.toString()), e.detail());
    assertEquals(before, snapshot());
  }

  @ParameterizedTest
  @ValueSource(strings = {"../evil", "blobs/../../evil", "/etc/passwd", "blobs/sha256/../../x"})
  void aPathOutsideTheArchiveRefusesTheWholeBundle(String name) {
    Snapshot before = snapshot();
    LinkedHashMap<String, byte[]> entries = goodBundle().entries();
    entries.put(name, "x".getBytes(StandardCharsets.UTF_8));

    RegistryException e = assertThrows(RegistryException.class, () -> importBytes(TestBundles.tar(entries, Compression.TAR)));

    assertTrue(e.detail().contains("refused entry"), e.detail());
    assertEquals(before, snapshot());
  }

  @Test
  void anOversizedIndexIsRefusedBeforeItIsRead() {
    Snapshot before = snapshot();
    LinkedHashMap<String, byte[]> entries = goodBundle().entries();
    byte[] huge = new byte[StagedArchive.MAX_DOCUMENT_BYTES + 1];
    Arrays.fill(huge, (byte) ' ');
    entries.put("index.json", huge);

    RegistryException e = assertThrows(RegistryException.class, () -> importBytes(TestBundles.tar(entries, Compression.TAR)));

    assertTrue(e.detail().contains("index.json is 4194305 bytes"), e.detail());
    assertEquals(before, snapshot());
  }

  @Test
  void aManifestOverFourMebibytesIsRefusedBeforeItIsRead() {
    Snapshot before = snapshot();
    StringBuilder padding = new StringBuilder();
    while (padding.length() <= StagedArchive.MAX_DOCUMENT_BYTES) {
      padding.append("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    }
    String json = new String(one.manifest().bytes(), StandardCharsets.UTF_8);
    byte[] huge = (json.substring(0, json.length() - 1) + ",\"annotations\":{\"pad\":\"" + padding + "\"}}")
        .getBytes(StandardCharsets.UTF_8);
    TestBundles.Image big = new TestBundles.Image(TestBundles.Blob.of(huge, one.manifest().mediaType()), one.config(),
        one.layers());

    RegistryException e = assertThrows(RegistryException.class,
        () -> importBytes(new Bundle().tag("factory/app", "huge", big).write(Compression.GZIP)));

    assertTrue(e.detail().contains("more than the 4194304 bytes a manifest may have"), e.detail());
    assertEquals(before, snapshot());
  }

  @Test
  void anOciLayoutOfDockerSaveIsNamedByItsContainerdAnnotation() {
    Bundle docker = new Bundle().tag("ignored", "1.25", one);
    docker.metadata = false;
    LinkedHashMap<String, byte[]> entries = docker.entries();
    entries.put("index.json", new io.vertx.core.json.JsonObject().put("schemaVersion", 2).put("manifests",
        new io.vertx.core.json.JsonArray().add(one.manifest().descriptor().put("annotations", new io.vertx.core.json.JsonObject()
            .put("io.containerd.image.name", "docker.io/library/nginx:1.25")
            .put("org.opencontainers.image.ref.name", "1.25")))).encode().getBytes(StandardCharsets.UTF_8));

    BundleImporter.Result result = importBytes(TestBundles.tar(entries, Compression.TAR));

    assertEquals("oci-layout", result.format());
    assertEquals(one.manifest().digest(), storage.manifest("library/nginx", Reference.parse("1.25")).orElseThrow().digest());
  }

  @Test
  void aLinkOutsideTheArchiveIsRefused() throws IOException {
    Snapshot before = snapshot();
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(out)) {
      var link = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("abc/layer.tar",
          org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK);
      link.setLinkName("../../etc/passwd");
      tar.putArchiveEntry(link);
      tar.closeArchiveEntry();
      tar.finish();
    }
    RegistryException e = assertThrows(RegistryException.class, () -> importBytes(out.toByteArray()));
    assertTrue(e.detail().contains("points outside the archive"), e.detail());
    assertEquals(before, snapshot());
  }

  /** docker save's layout: manifest.json last, layers under legacy ids (not their digests). */
  static LinkedHashMap<String, byte[]> dockerSave(Image image, String repoTag) {
    LinkedHashMap<String, byte[]> entries = new LinkedHashMap<>();
    io.vertx.core.json.JsonArray layers = new io.vertx.core.json.JsonArray();
    int i = 0;
    for (TestBundles.Blob layer : image.layers()) {
      String name = "legacy" + i++ + "/layer.tar";
      entries.put(name, layer.bytes());
      layers.add(name);
    }
    entries.put(image.config().digest().hex() + ".json", image.config().bytes());
    entries.put("manifest.json", new io.vertx.core.json.JsonArray().add(new io.vertx.core.json.JsonObject()
        .put("Config", image.config().digest().hex() + ".json")
        .put("RepoTags", new io.vertx.core.json.JsonArray().add(repoTag)).put("Layers", layers))
        .encode().getBytes(StandardCharsets.UTF_8));
    return entries;
  }

  @Test
  void aDockerSaveArchiveKeepsItsConfigAndLayerDigests() {
    BundleImporter.Result result = importBytes(TestBundles.tar(dockerSave(one, "docker.io/factory/app:v1"), Compression.TAR));

    assertEquals("docker-archive", result.format());
    io.vertx.core.json.JsonObject manifest = new io.vertx.core.json.JsonObject(new String(
        storage.manifest("factory/app", Reference.parse("v1")).orElseThrow().bytes(), StandardCharsets.UTF_8));
    assertEquals(one.config().digest().toString(), manifest.getJsonObject("config").getString("digest"));
    assertEquals(one.layers().get(1).digest().toString(), manifest.getJsonArray("layers").getJsonObject(1).getString("digest"));
  }

  @Test
  void aDockerSaveLayerThatIsNotItsDiffIdIsRefused() {
    Snapshot before = snapshot();
    LinkedHashMap<String, byte[]> entries = dockerSave(one, "factory/app:v1");
    byte[] flipped = entries.get("legacy1/layer.tar").clone();
    flipped[99] ^= 2;
    entries.put("legacy1/layer.tar", flipped);

    RegistryException e = assertThrows(RegistryException.class, () -> importBytes(TestBundles.tar(entries, Compression.TAR)));

    assertEquals(ErrorCode.DIGEST_INVALID, e.code());
    assertTrue(e.detail().contains("legacy1/layer.tar") && e.detail().contains("diff_ids[1]"), e.detail());
    assertEquals(before, snapshot());
  }

  @Test
  void aFileNamedByADigestItDoesNotHaveIsRefused() {
    LinkedHashMap<String, byte[]> entries = dockerSave(one, "factory/app:v1");
    String config = one.config().digest().hex() + ".json";
    entries.put(config, (new String(entries.get(config), StandardCharsets.UTF_8) + " ").getBytes(StandardCharsets.UTF_8));
    RegistryException e = assertThrows(RegistryException.class, () -> importBytes(TestBundles.tar(entries, Compression.TAR)));
    assertEquals(ErrorCode.DIGEST_INVALID, e.code());
    assertTrue(e.detail().contains(config), e.detail());
  }

  @Test
  void tooManyEntriesAreRefused() {
    Snapshot before = snapshot();
    BundleImporter importer = new BundleImporter(storage,
        new BundleImporter.Options(null, ChangeOrigin.CLIENT, true, new BundleLimits(5)));
    RegistryException e = assertThrows(RegistryException.class,
        () -> importer.stage(new ByteArrayInputStream(goodBundle().write(Compression.TAR))));
    assertTrue(e.detail().contains("more than 5 entries"), e.detail());
    assertEquals(before, snapshot());
  }

  @Test
  void aBlobWithTheWrongNameIsRefused() {
    LinkedHashMap<String, byte[]> entries = goodBundle().entries();
    entries.put("blobs/sha256/abc", new byte[] {1});
    RegistryException e = assertThrows(RegistryException.class, () -> importBytes(TestBundles.tar(entries, Compression.TAR)));
    assertTrue(e.detail().contains("blobs/sha256/abc"), e.detail());
    assertEquals(List.of(), uploads());
  }

  @Test
  void omittedBlobsMustBeHereElseNothingIsAppliedAndTheErrorSaysToImportTheEarlierBundle() {
    Snapshot before = snapshot();
    Bundle since = new Bundle().tag("factory/app", "v3", one);
    since.since = 5L;
    since.omitted.add(one.layers().get(0).digest());

    RegistryException e = assertThrows(RegistryException.class, () -> importBytes(since.write(Compression.TAR)));

    assertEquals(ErrorCode.MANIFEST_BLOB_UNKNOWN, e.code());
    assertTrue(e.detail().contains(one.layers().get(0).digest().toString())
        && e.detail().contains("import the earlier bundle first"), e.detail());
    assertEquals(before, snapshot());

    // Once another repository holds the blob, it is linked.
    importBytes(new Bundle().tag("other/repo", "x", one).write(Compression.TAR));
    BundleImporter.Result result = importBytes(since.write(Compression.TAR));
    assertEquals(one.manifest().digest(), storage.manifest("factory/app", Reference.parse("v3")).orElseThrow().digest());
    assertTrue(result.blobsLinked() >= 1);
  }

  @Test
  void tagMovesAndDeletedTagsApply() {
    importBytes(new Bundle().tag("factory/app", "v1", one).tag("factory/app", "old", one).write(Compression.TAR));
    Bundle next = new Bundle().tag("factory/app", "v1", two);
    next.since = 10L;
    next.deletedTags.add(new Object[] {"factory/app", "old"});

    BundleImporter.Result result = importBytes(next.write(Compression.ZSTD));

    assertEquals(two.manifest().digest(), storage.manifest("factory/app", Reference.parse("v1")).orElseThrow().digest());
    assertTrue(storage.manifest("factory/app", Reference.parse("old")).isEmpty());
    assertEquals(List.of("factory/app:old"), result.tagsDeleted());
  }

  @Test
  void inAConnectedRegistryADeletedTagGoesOnlyIfSyncMadeItAndItStillPointsThere() {
    importBytes(new Bundle().tag("factory/app", "synced", one).tag("factory/app", "mine", one)
        .tag("factory/app", "moved", two).write(Compression.TAR));
    Bundle next = new Bundle();
    next.repositories.add("factory/app");
    next.since = 10L;
    for (String tag : List.of("synced", "mine", "moved")) {
      next.deletedTags.add(new Object[] {"factory/app", tag});
    }
    Map<String, Map<String, String>> syncedTags = Map.of("factory/app", Map.of(
        "synced", one.manifest().digest().toString(), "moved", one.manifest().digest().toString()));
    BundleImporter importer = new BundleImporter(storage,
        new BundleImporter.Options(null, ChangeOrigin.SYNC, false, BundleLimits.DEFAULT));

    BundleImporter.Result result;
    try (BundleImporter.Staged staged = importer.stage(new ByteArrayInputStream(next.write(Compression.TAR)))) {
      result = staged.apply(syncedTags);
    }

    assertEquals(List.of("factory/app:synced"), result.tagsDeleted());
    assertTrue(storage.manifest("factory/app", Reference.parse("mine")).isPresent(), "a client's tag stays");
    assertTrue(storage.manifest("factory/app", Reference.parse("moved")).isPresent(), "moved here since: stays");
    assertEquals(2, result.applied().tagsDeleted().size(), "both of sync's tags stop being sync's");
  }

  @Test
  void deletedManifestsApplyWhereManifestDeletesAreMirrored() {
    importBytes(goodBundle().write(Compression.TAR));
    Bundle next = new Bundle();
    next.repositories.add("factory/tools");
    next.since = 10L;
    next.deletedManifests.add(new Object[] {"factory/tools", two.manifest().digest()});

    BundleImporter.Result result = importBytes(next.write(Compression.TAR));

    assertEquals(1, result.manifestsDeleted());
    assertTrue(storage.manifest("factory/tools", new Reference(null, two.manifest().digest())).isEmpty());
    assertTrue(storage.manifest("factory/app", Reference.parse("v2")).isPresent(), "only in the repository named");
  }

  @Test
  void belowTheFreeSpaceFloorTheImportStopsAndLeavesNothing() {
    storage.close();
    storage = LocalRegistryStorage.open(data, new LocalRegistryStorage.Options(Duration.ofHours(24),
        Duration.ofHours(1), Duration.ofDays(7), Long.MAX_VALUE / 4, Clock.systemUTC()));
    Snapshot before = snapshot();

    RegistryException e = assertThrows(RegistryException.class, () -> importBytes(goodBundle().write(Compression.TAR)));

    assertEquals(ErrorCode.INSUFFICIENT_STORAGE, e.code());
    assertEquals(before, snapshot());
  }

  @Test
  void aCommitThatFailsHalfWayIsUndoneNoTagNoLinkNoUpload() {
    importBytes(new Bundle().tag("factory/app", "v1", two).write(Compression.TAR)); // a tag the failure must not move
    Snapshot before = snapshot();
    int[] tagPuts = {0};
    // Fault injection over the real store: the third tag set fails (a disk error, say).
    RegistryStorage failing = (RegistryStorage) java.lang.reflect.Proxy.newProxyInstance(
        RegistryStorage.class.getClassLoader(), new Class<?>[] {RegistryStorage.class}, (proxy, method, args) -> {
          if (method.getName().equals("putManifest") && args.length == 4 && args[2] != null && ++tagPuts[0] == 3) {
            throw new io.connectedregistry.storage.StorageException("injected: disk error");
          }
          try {
            return method.invoke(storage, args);
          } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
          }
        });
    BundleImporter importer = new BundleImporter(failing,
        new BundleImporter.Options(null, ChangeOrigin.CLIENT, true, BundleLimits.DEFAULT));
    Bundle bundle = goodBundle();
    bundle.tag("factory/app", "v1", one); // moves v1 (a tag set before the failure, so undone)

    try (BundleImporter.Staged staged = importer.stage(new ByteArrayInputStream(bundle.write(Compression.TAR)))) {
      assertThrows(io.connectedregistry.storage.StorageException.class, () -> staged.apply(null));
    }

    assertEquals(4, tagPuts[0], "two tags set, the third failed, then v1 put back where it was");
    Snapshot after = snapshot();
    assertEquals(before.tags(), after.tags(), "every tag as it was");
    assertEquals(List.of(), after.uploads());
    for (TestBundles.Blob blob : one.blobs()) {
      assertTrue(storage.blobSize("factory/app", blob.digest()).isEmpty(), "no blob of the failed import stays linked");
    }
    assertTrue(storage.manifest("factory/app", new Reference(null, one.manifest().digest())).isEmpty());
  }

  // ---- what "nothing changed" means: tags, linked blobs, blob files and uploads ----

  record Snapshot(Map<String, List<String>> tags, List<String> blobFiles, List<String> uploads, long blobs) {}

  Snapshot snapshot() {
    Map<String, List<String>> tags = new TreeMap<>();
    for (String repository : storage.repositories("", 1000)) {
      List<String> list = new ArrayList<>();
      for (String tag : storage.tags(repository, "", 1000).orElse(List.of())) {
        list.add(tag + "=" + storage.manifest(repository, Reference.parse(tag)).orElseThrow().digest());
      }
      tags.put(repository, list);
    }
    return new Snapshot(tags, files(storage.paths().blobsRoot()), uploads(), storage.usage().blobs());
  }

  List<String> uploads() {
    return files(storage.paths().uploadsRoot());
  }

  static List<String> files(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".probe"))
          .map(p -> root.relativize(p).toString()).sorted().toList();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  byte[] read(String repository, Digest digest) {
    return read(storage, repository, digest);
  }

  static byte[] read(RegistryStorage storage, String repository, Digest digest) {
    RegistryStorage.OpenBlob blob = storage.openBlob(repository, digest);
    try (var channel = blob.channel()) {
      ByteBuffer buffer = ByteBuffer.allocate((int) blob.size());
      while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
        // fill
      }
      return buffer.array();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

}
