package io.connectedregistry.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.bundle.BundleMetadata.DeletedManifest;
import io.connectedregistry.bundle.BundleMetadata.DeletedTag;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.MediaTypes;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.StoragePaths;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Exports of a real store, open as a serving registry holds it (its lock taken), read back with
 * Commons Compress and checked against BUNDLE-FORMAT.md.
 */
class BundleExporterTest {
  private static final Instant NOW = Instant.parse("2026-11-30T20:00:00.123Z");

  @TempDir Path data;
  @TempDir Path out;
  private LocalRegistryStorage storage;
  private StoreContent content;
  private BundleExporter exporter;

  @BeforeEach
  void open() {
    storage = LocalRegistryStorage.open(data, LocalRegistryStorage.Options.defaults());
    content = new StoreContent(storage);
    exporter = new BundleExporter(data, Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @AfterEach
  void close() {
    storage.close();
  }

  private BundleExporter.Result export(Path file, Since since, String... repositories) {
    return exporter.exportToFile(new BundleExporter.Request(List.of(repositories), since), file,
        Compression.forFileName(file.getFileName().toString()), TransferListener.NONE);
  }

  @Test
  void fullBundle_holdsEveryTagWithItsImageAndReferrers_inTheAgreedOrder() {
    Digest v1 = content.image("factory/app", "v1", "layer-a", "layer-b");
    Digest amd = content.image("factory/app", null, "amd64-layer");
    Digest arm = content.image("factory/app", null, "arm64-layer");
    Digest multi = content.index("factory/app", "multi", amd, arm);
    Digest signature = content.referrer("factory/app", v1, "signed v1");
    Digest tool = content.image("factory/tools", "1.0", "layer-a"); // a layer shared with factory/app
    content.image("other/repo", "x", "not exported");
    content.blob("factory/app", "an orphan blob nothing refers to");

    Path file = out.resolve("b.tar");
    BundleExporter.Result result = export(file, null, "factory/app", "factory/tools");
    BundleEntries bundle = BundleEntries.read(file);

    List<String> names = bundle.names();
    assertEquals(List.of("oci-layout", "connected-registry-bundle.json", "index.json"), names.subList(0, 3));
    assertEquals("{\"imageLayoutVersion\":\"1.0.0\"}", new String(bundle.entries().get("oci-layout")));
    // Manifests first, each index before its children, then configs and layers; each once, named by its hash.
    List<Digest> manifests = List.of(multi, amd, arm, v1, signature, tool);
    int i = 3;
    List<String> blobNames = new ArrayList<>();
    for (String name : names.subList(3, names.size())) {
      byte[] bytes = bundle.entries().get(name);
      assertEquals("blobs/sha256/" + Digest.sha256(bytes).hex(), name, "an entry named by its sha256");
      blobNames.add(name);
    }
    List<String> manifestNames = manifests.stream().map(d -> "blobs/sha256/" + d.hex()).toList();
    assertEquals(manifestNames.stream().sorted().toList(), blobNames.subList(0, 6).stream().sorted().toList(),
        "every manifest before any config or layer");
    assertTrue(blobNames.indexOf("blobs/sha256/" + multi.hex()) < blobNames.indexOf("blobs/sha256/" + amd.hex()));
    assertTrue(blobNames.indexOf("blobs/sha256/" + multi.hex()) < blobNames.indexOf("blobs/sha256/" + arm.hex()));
    assertFalse(bundle.hasBlob(Digest.sha256("not exported".getBytes())));
    assertFalse(bundle.hasBlob(Digest.sha256("an orphan blob nothing refers to".getBytes())));
    assertTrue(bundle.hasBlob(Digest.sha256("signed v1".getBytes())), "the referrer's blobs");
    // 6 manifests; blobs: 2 configs app + layer-a, layer-b; amd/arm configs + layers; {} + signature; tools config
    assertEquals(6, result.manifests());
    assertEquals(names.size() - 3 - 6, result.blobs());
    assertEquals(3, result.images());

    BundleMetadata metadata = bundle.metadata();
    assertEquals(1, metadata.bundleVersion());
    assertEquals(storage.storeId(), metadata.store());
    assertEquals(storage.lastChangeSequence(), metadata.cursor());
    assertNull(metadata.since());
    assertEquals(List.of("factory/app", "factory/tools"), metadata.repositories());
    assertEquals(List.of(), metadata.deletedTags());
    assertEquals(List.of(), metadata.deletedManifests());
    assertEquals(List.of(), metadata.omittedBlobs());
    assertEquals("2026-11-30T20:00:00Z", metadata.createdAt());
    JsonNode raw = bundle.json(BundleMetadata.ENTRY);
    assertTrue(raw.has("since") && raw.get("since").isNull(), "since is null in a full bundle: " + raw);

    JsonNode index = bundle.json("index.json");
    assertEquals(2, index.get("schemaVersion").asInt());
    assertEquals(MediaTypes.OCI_INDEX, index.get("mediaType").asText());
    Map<String, JsonNode> byRef = new HashMap<>();
    List<JsonNode> untagged = new ArrayList<>();
    for (JsonNode d : index.get("manifests")) {
      JsonNode ref = d.get("annotations").get("org.opencontainers.image.ref.name");
      String digest = d.get("digest").asText();
      assertEquals(bundle.entries().get("blobs/sha256/" + Digest.parse(digest).hex()).length, d.get("size").asLong());
      if (ref == null) {
        untagged.add(d);
      } else {
        byRef.put(ref.asText(), d);
      }
    }
    assertEquals(Map.of("factory/app:v1", v1.toString(), "factory/app:multi", multi.toString(),
        "factory/tools:1.0", tool.toString()),
        Map.of("factory/app:v1", byRef.get("factory/app:v1").get("digest").asText(),
            "factory/app:multi", byRef.get("factory/app:multi").get("digest").asText(),
            "factory/tools:1.0", byRef.get("factory/tools:1.0").get("digest").asText()));
    assertEquals(3, byRef.size());
    assertEquals(MediaTypes.OCI_INDEX, byRef.get("factory/app:multi").get("mediaType").asText());
    assertEquals("factory/tools",
        byRef.get("factory/tools:1.0").get("annotations").get("io.connectedregistry.repository").asText());
    assertEquals(1, untagged.size(), "the referrer, untagged: " + untagged);
    assertEquals(signature.toString(), untagged.get(0).get("digest").asText());
    assertEquals("factory/app", untagged.get(0).get("annotations").get("io.connectedregistry.repository").asText());
    assertEquals(1, untagged.get(0).get("annotations").size());
  }

  @Test
  void sinceBundle_holdsOnlyWhatChanged_namesDeletions_andOmitsTheBlobsTheTargetHas() {
    Digest v1 = content.image("factory/app", "v1", "base-layer", "v1-layer");
    Digest old = content.image("factory/app", "old", "old-layer");
    Digest gone = content.image("factory/app", "gone", "gone-layer");
    content.image("factory/app", "same", "same-layer");
    Path first = out.resolve("first.tar.zst");
    BundleMetadata full = export(first, null, "factory/app").metadata();

    Digest v2 = content.image("factory/app", "v2", "base-layer", "v2-layer"); // shares base-layer with v1
    content.referrer("factory/app", v2, "signed v2");
    assertTrue(storage.deleteManifest("factory/app", Reference.parse("old")));          // tag only
    assertTrue(storage.deleteManifest("factory/app", Reference.parse(gone.toString()))); // manifest and its tag
    Digest byDigest = content.image("factory/app", null, "pushed-by-digest");
    content.manifest("factory/app", "v1-again", new String(
        storage.manifest("factory/app", Reference.parse(v1.toString())).orElseThrow().bytes()));

    Path second = out.resolve("second.tar");
    BundleExporter.Result result = export(second, Since.parse(first.toString()), "factory/app");
    BundleEntries bundle = BundleEntries.read(second);
    BundleMetadata metadata = bundle.metadata();

    assertEquals(full.cursor(), metadata.since());
    assertEquals(storage.lastChangeSequence(), metadata.cursor());
    assertEquals(List.of(new DeletedTag("factory/app", "gone"), new DeletedTag("factory/app", "old")),
        metadata.deletedTags());
    assertEquals(List.of(new DeletedManifest("factory/app", gone.toString())), metadata.deletedManifests());
    Map<String, String> refs = new HashMap<>();
    List<String> untagged = new ArrayList<>();
    for (JsonNode d : bundle.json("index.json").get("manifests")) {
      JsonNode ref = d.get("annotations").get("org.opencontainers.image.ref.name");
      if (ref == null) {
        untagged.add(d.get("digest").asText());
      } else {
        refs.put(ref.asText(), d.get("digest").asText());
      }
    }
    assertEquals(Map.of("factory/app:v2", v2.toString(), "factory/app:v1-again", v1.toString()), refs,
        "only the tags set since; not v1, old or same");
    assertEquals(2, untagged.size(), "the referrer of v2 and the manifest pushed by digest: " + untagged);
    assertTrue(untagged.contains(byDigest.toString()));

    Digest base = Digest.sha256("base-layer".getBytes());
    Digest v1Layer = Digest.sha256("v1-layer".getBytes());
    assertTrue(metadata.omittedBlobs().contains(base.toString()), "the target has v1's base layer");
    assertTrue(metadata.omittedBlobs().contains(v1Layer.toString()));
    assertFalse(bundle.hasBlob(base));
    assertFalse(bundle.hasBlob(v1Layer));
    assertTrue(bundle.hasBlob(Digest.sha256("v2-layer".getBytes())));
    assertTrue(bundle.hasBlob(Digest.sha256("pushed-by-digest".getBytes())));
    assertTrue(bundle.hasBlob(Digest.sha256("signed v2".getBytes())));
    assertTrue(bundle.hasBlob(v1), "manifests always travel, even when the target has them");
    assertFalse(bundle.hasBlob(Digest.sha256("old-layer".getBytes())));
    assertFalse(bundle.hasBlob(Digest.sha256("same-layer".getBytes())));
    assertFalse(bundle.hasBlob(old));
    assertEquals(2, result.images());
    for (String omitted : metadata.omittedBlobs()) {
      assertFalse(bundle.hasBlob(Digest.parse(omitted)), omitted + " is listed as omitted and is in the bundle");
    }
  }

  @Test
  void sinceACursorNumber_omitsOnlyBlobsOfImagesTaggedThen() {
    content.image("factory/app", null, "untagged-before"); // never in a bundle: the target lacks it
    content.image("factory/app", "v1", "v1-layer");
    long cursor = storage.lastChangeSequence();
    Digest untaggedBefore = Digest.sha256("untagged-before".getBytes());
    // Tag, after the cursor, the manifest that was untagged at the cursor.
    String bytes = new String(storage.manifest("factory/app", Reference.parse(
        storage.changesAfter(0, 10).get(0).digest())).orElseThrow().bytes());
    content.manifest("factory/app", "now-tagged", bytes);
    content.image("factory/app", "v2", "v1-layer", "v2-layer");

    Path file = out.resolve("since.tar.gz");
    BundleMetadata metadata = export(file, Since.parse(Long.toString(cursor)), "factory/app").metadata();
    BundleEntries bundle = BundleEntries.read(file);
    assertEquals(cursor, metadata.since());
    assertEquals(List.of(Digest.sha256("v1-layer".getBytes()).toString()), metadata.omittedBlobs());
    assertTrue(bundle.hasBlob(untaggedBefore), "an untagged manifest's blobs are not assumed at the target");
    assertTrue(bundle.hasBlob(Digest.sha256("v2-layer".getBytes())));
  }

  @Test
  void sinceABundle_exportsWholeARepositoryThatBundleDidNotCover() {
    content.image("factory/app", "v1", "app-layer");
    content.image("factory/tools", "1.0", "app-layer", "tools-layer"); // tagged before the first bundle
    Path first = out.resolve("first.tar");
    export(first, null, "factory/app"); // factory/tools is not in it: new to the target
    content.image("factory/app", "v2", "app-v2-layer");

    Path second = out.resolve("second.tar");
    export(second, Since.parse(first.toString()), "factory/app", "factory/tools");
    BundleEntries bundle = BundleEntries.read(second);
    List<String> refs = new ArrayList<>();
    bundle.json("index.json").get("manifests")
        .forEach(d -> refs.add(d.get("annotations").get("org.opencontainers.image.ref.name").asText()));
    assertEquals(List.of("factory/app:v2", "factory/tools:1.0"), refs);
    assertTrue(bundle.hasBlob(Digest.sha256("tools-layer".getBytes())));
    assertEquals(List.of(Digest.sha256("app-layer".getBytes()).toString()), bundle.metadata().omittedBlobs(),
        "a blob the target has through another repository is still omitted (the importer links it)");
  }

  @ParameterizedTest
  @EnumSource(Compression.class)
  void everyCompression_isReadBackWholeByCommonsCompress(Compression compression) throws Exception {
    content.image("factory/app", "v1", "layer-" + "x".repeat(300_000));
    Path plain = out.resolve("plain.tar");
    export(plain, null, "factory/app");
    Path file = out.resolve("bundle" + compression.suffix());
    export(file, null, "factory/app");

    byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(file), 4);
    switch (compression) {
      case GZIP -> assertArrayEquals(new byte[] {0x1f, (byte) 0x8b}, java.util.Arrays.copyOf(head, 2));
      case ZSTD -> assertArrayEquals(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}, head);
      case NONE -> assertEquals("oci-layout", new String(Files.readAllBytes(file), 0, 10));
    }
    if (compression != Compression.NONE) {
      assertTrue(Files.size(file) < Files.size(plain) / 10, "compressed: " + Files.size(file));
    }
    BundleEntries a = BundleEntries.read(plain);
    BundleEntries b = BundleEntries.read(file);
    assertEquals(a.names(), b.names());
    for (String name : a.names()) {
      assertArrayEquals(a.entries().get(name), b.entries().get(name), name);
    }
  }

  @Test
  void toAStream_writesTheSameBundle() throws Exception {
    content.image("factory/app", "v1", "layer");
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    exporter.exportTo(new BundleExporter.Request(List.of("factory/app"), null), stream, Compression.ZSTD,
        TransferListener.NONE);
    Path file = out.resolve("from-stream.tar.zst");
    Files.write(file, stream.toByteArray());
    assertEquals(6, BundleEntries.read(file).names().size()); // layout, metadata, index, manifest, config, layer
  }

  @Test
  void dockerFormatTags_areExportedAsTheyAre_andNamedInTheResult() {
    Digest config = content.blob("factory/app", "{\"os\":\"linux\"}");
    Digest layer = content.blob("factory/app", "docker-layer");
    String json = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\","
        + "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" + config
        + "\",\"size\":14},\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\","
        + "\"digest\":\"" + layer + "\",\"size\":12}]}";
    Digest docker = content.manifest("factory/app", "docker", json);
    content.image("factory/app", "oci", "oci-layer");

    Path file = out.resolve("b.tar");
    BundleExporter.Result result = export(file, null, "factory/app");
    assertEquals(List.of("factory/app:docker"), result.dockerFormatTags());
    BundleEntries bundle = BundleEntries.read(file);
    assertEquals(json, new String(bundle.entries().get("blobs/sha256/" + docker.hex())), "byte for byte");
    JsonNode descriptor = bundle.json("index.json").get("manifests").get(0);
    assertEquals(MediaTypes.DOCKER_MANIFEST, descriptor.get("mediaType").asText(), "the manifest's own type");
  }

  @Test
  void unknownRepository_isRefusedByName_andNoFileIsWritten() {
    content.image("factory/app", "v1", "layer");
    Path file = out.resolve("b.tar");
    BundleException e = assertThrows(BundleException.class, () -> export(file, null, "factory/app", "factory/nope"));
    assertTrue(e.usersToFix());
    assertEquals("repository factory/nope does not exist in " + data.toAbsolutePath().normalize(), e.getMessage());
    assertFalse(Files.exists(file));
    assertFalse(Files.exists(out.resolve("b.tar.partial")));
  }

  @Test
  void blobMissing_failsNamingIt_andLeavesNoFile() throws Exception {
    content.image("factory/app", "v1", "kept-layer", "collected-layer");
    Digest collected = Digest.sha256("collected-layer".getBytes());
    Files.delete(new StoragePaths(data).blob(collected)); // as a garbage collection racing the export would
    Path file = out.resolve("b.tar.gz");
    BundleException e = assertThrows(BundleException.class, () -> export(file, null, "factory/app"));
    assertFalse(e.usersToFix());
    assertTrue(e.getMessage().contains("blob " + collected + " disappeared from"), e.getMessage());
    assertFalse(Files.exists(file));
    assertFalse(Files.exists(out.resolve("b.tar.gz.partial")));
  }

  @Test
  void corruptBlob_failsNamingIt() throws Exception {
    content.image("factory/app", "v1", "good-layer");
    Digest layer = Digest.sha256("good-layer".getBytes());
    Path blob = new StoragePaths(data).blob(layer);
    Files.writeString(blob, "evil-layer"); // same length, other bytes
    BundleException e = assertThrows(BundleException.class, () -> export(out.resolve("b.tar"), null, "factory/app"));
    assertTrue(e.getMessage().contains("blob " + layer + " in ") && e.getMessage().contains("is corrupt"),
        e.getMessage());
    assertFalse(Files.exists(out.resolve("b.tar")));
  }

  @Test
  void sinceABundleOfAnotherStore_isRefused(@TempDir Path otherData) {
    content.image("factory/app", "v1", "layer");
    Path foreign = out.resolve("foreign.tar");
    try (LocalRegistryStorage other = LocalRegistryStorage.open(otherData, LocalRegistryStorage.Options.defaults())) {
      new StoreContent(other).image("factory/app", "v1", "layer");
    }
    new BundleExporter(otherData, Clock.systemUTC()).exportToFile(
        new BundleExporter.Request(List.of("factory/app"), null), foreign, Compression.NONE, TransferListener.NONE);
    BundleException e = assertThrows(BundleException.class,
        () -> export(out.resolve("b.tar"), Since.parse(foreign.toString()), "factory/app"));
    assertTrue(e.usersToFix());
    assertTrue(e.getMessage().contains("was exported from store"), e.getMessage());
    assertFalse(Files.exists(out.resolve("b.tar")));
  }

  @Test
  void progress_countsEveryByteAndImage() {
    content.image("factory/app", "v1", "layer-1");
    content.image("factory/app", "v2", "layer-2", "layer-3");
    AtomicLong bytes = new AtomicLong();
    AtomicLong images = new AtomicLong();
    long[] announced = new long[2];
    BundleExporter.Result result = exporter.exportToFile(new BundleExporter.Request(List.of("factory/app"), null),
        out.resolve("b.tar"), Compression.NONE, new TransferListener() {
          @Override
          public void started(long totalBytes, long imageCount) {
            announced[0] = totalBytes;
            announced[1] = imageCount;
          }

          @Override
          public void transferred(long n) {
            bytes.addAndGet(n);
          }

          @Override
          public void imageDone() {
            images.incrementAndGet();
          }
        });
    assertEquals(result.bytes(), announced[0]);
    assertEquals(result.bytes(), bytes.get());
    assertEquals(2, announced[1]);
    assertEquals(2, images.get());
  }
}
