package io.connectedregistry.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.MediaTypes;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.oci.RegistryException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link RegistryStorage} must do, whatever keeps the bytes. An implementation's test
 * extends this and says how to open a fresh store.
 */
abstract class RegistryStorageContract {
  protected RegistryStorage storage;

  protected abstract RegistryStorage openFresh() throws Exception;

  @BeforeEach
  void open() throws Exception {
    storage = openFresh();
  }

  @AfterEach
  void close() {
    storage.close();
  }

  protected Digest push(String repository, byte[] content) {
    UploadStatus upload = storage.startUpload(repository);
    try (UploadHandle h = storage.openUpload(repository, upload.id())) {
      h.append(ByteBuffer.wrap(content));
      Digest digest = Digest.sha256(content);
      storage.commitUpload(h, digest);
      return digest;
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  protected static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  protected Manifest image(Digest config, Digest... layers) {
    StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
        + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config + "\",\"size\":1},\"layers\":[");
    for (int i = 0; i < layers.length; i++) {
      json.append(i == 0 ? "" : ",").append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"")
          .append(layers[i]).append("\",\"size\":1}");
    }
    json.append("]}");
    return ManifestParser.parse(bytes(json.toString()), null, "sha256");
  }

  protected byte[] read(String repository, Digest digest) throws Exception {
    RegistryStorage.OpenBlob blob = storage.openBlob(repository, digest);
    try (var ch = blob.channel()) {
      ByteBuffer buffer = ByteBuffer.allocate((int) blob.size());
      while (buffer.hasRemaining() && ch.read(buffer) >= 0) {
        // read all
      }
      return buffer.array();
    }
  }

  @Test
  void aCommittedBlobIsReadableByteForByteInItsRepositoryOnly() throws Exception {
    Digest d = push("a/repo", bytes("hello"));
    assertArrayEquals(bytes("hello"), read("a/repo", d));
    assertEquals(Optional.of(5L), storage.blobSize("a/repo", d));
    assertEquals(Optional.empty(), storage.blobSize("other", d));
    RegistryException e = assertThrows(RegistryException.class, () -> storage.openBlob("other", d));
    assertEquals(ErrorCode.BLOB_UNKNOWN, e.code());
  }

  @Test
  void aDigestMismatchChangesNothingAndKeepsTheUpload() throws Exception {
    UploadStatus upload = storage.startUpload("r");
    try (UploadHandle h = storage.openUpload("r", upload.id())) {
      h.append(ByteBuffer.wrap(bytes("abc")));
      Digest wrong = Digest.sha256(bytes("abd"));
      RegistryException e = assertThrows(RegistryException.class, () -> storage.commitUpload(h, wrong));
      assertEquals(ErrorCode.DIGEST_INVALID, e.code());
      assertEquals(Optional.empty(), storage.blobSize("r", wrong));
      assertEquals(Optional.empty(), storage.blobSize("r", Digest.sha256(bytes("abc"))));
    }
    assertEquals(3, storage.uploadStatus("r", upload.id()).orElseThrow().size());
  }

  @Test
  void sha512DigestsCommitToo() throws Exception {
    UploadStatus upload = storage.startUpload("r");
    Digest d = Digest.of("sha512", bytes("x512"));
    try (UploadHandle h = storage.openUpload("r", upload.id())) {
      h.append(ByteBuffer.wrap(bytes("x512")));
      storage.commitUpload(h, d);
    }
    assertArrayEquals(bytes("x512"), read("r", d));
  }

  @Test
  void chunksAppendAcrossRequestsAndTheUploadIsGoneAfterCommit() {
    UploadStatus upload = storage.startUpload("r");
    try (UploadHandle h = storage.openUpload("r", upload.id())) {
      h.append(ByteBuffer.wrap(bytes("chunk1-")));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    try (UploadHandle h = storage.openUpload("r", upload.id())) {
      assertEquals(7, h.startSize());
      h.append(ByteBuffer.wrap(bytes("chunk2")));
      storage.commitUpload(h, Digest.sha256(bytes("chunk1-chunk2")));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
    assertEquals(Optional.empty(), storage.uploadStatus("r", upload.id()));
  }

  @Test
  void anUploadIsOnlyVisibleInTheRepositoryThatStartedIt() {
    UploadStatus upload = storage.startUpload("r");
    assertEquals(Optional.empty(), storage.uploadStatus("s", upload.id()));
    RegistryException e = assertThrows(RegistryException.class, () -> storage.openUpload("s", upload.id()));
    assertEquals(ErrorCode.BLOB_UPLOAD_UNKNOWN, e.code());
  }

  @Test
  void aSecondConcurrentRequestOnTheSameUploadIsRefused() {
    UploadStatus upload = storage.startUpload("r");
    try (UploadHandle first = storage.openUpload("r", upload.id())) {
      RegistryException e = assertThrows(RegistryException.class, () -> storage.openUpload("r", upload.id()));
      assertEquals(ErrorCode.BLOB_UPLOAD_INVALID, e.code());
    }
    storage.openUpload("r", upload.id()).close();
  }

  @Test
  void aCancelledUploadIsUnknown() {
    UploadStatus upload = storage.startUpload("r");
    assertTrue(storage.cancelUpload("r", upload.id()));
    assertFalse(storage.cancelUpload("r", upload.id()));
    assertEquals(Optional.empty(), storage.uploadStatus("r", upload.id()));
  }

  @Test
  void mountLinksOnlyWhatTheSourceRepositoryHas() {
    Digest d = push("src", bytes("shared"));
    assertTrue(storage.mountBlob("dst", "src", d));
    assertEquals(Optional.of(6L), storage.blobSize("dst", d));
    assertFalse(storage.mountBlob("dst2", "nowhere", d));
    assertEquals(Optional.empty(), storage.blobSize("dst2", d));
  }

  @Test
  void anExistingBlobIsLinkedFromWhereverItIsButAnUnknownOneIsNot() {
    Digest d = push("somewhere", bytes("layer"));
    assertTrue(storage.linkExistingBlob("mirror/app", d));
    assertEquals(Optional.of(5L), storage.blobSize("mirror/app", d));
    Digest unknown = Digest.sha256(bytes("never pushed"));
    assertFalse(storage.linkExistingBlob("mirror/app", unknown));
    assertEquals(Optional.empty(), storage.blobSize("mirror/app", unknown));
  }

  @Test
  void aManifestIsRefusedUntilEveryBlobItReferencesIsInTheRepository() {
    Digest config = push("r", bytes("{}"));
    Digest layer = Digest.sha256(bytes("missing"));
    RegistryException e = assertThrows(RegistryException.class, () -> storage.putManifest("r", image(config, layer), "v1"));
    assertEquals(ErrorCode.MANIFEST_BLOB_UNKNOWN, e.code());
    assertEquals(Optional.empty(), storage.manifest("r", Reference.parse("v1")));
    assertEquals(List.of(), storage.changesAfter(0, 10));
  }

  @Test
  void aManifestIsServedByTagAndDigestWithItsExactBytes() {
    Digest config = push("r", bytes("{}"));
    Digest layer = push("r", bytes("layer"));
    Manifest m = image(config, layer);
    storage.putManifest("r", m, "v1");
    StoredManifest byTag = storage.manifest("r", Reference.parse("v1")).orElseThrow();
    StoredManifest byDigest = storage.manifest("r", Reference.parse(m.digest().toString())).orElseThrow();
    assertArrayEquals(m.bytes(), byTag.bytes());
    assertEquals(m.digest(), byDigest.digest());
    assertEquals(MediaTypes.OCI_MANIFEST, byTag.mediaType());
  }

  @Test
  void theChangeLogIsReadAfterACursorUpToItsHead() {
    assertEquals(0, storage.lastChangeSequence(), "an empty log's head");
    Digest config = push("r", bytes("{}"));
    storage.putManifest("r", image(config), "v1");
    storage.deleteManifest("r", Reference.parse("v1"));
    List<Change> all = storage.changesAfter(0, 100);
    assertEquals(3, all.size(), all::toString);
    assertEquals(all.get(2).sequence(), storage.lastChangeSequence());
    assertEquals(List.of(all.get(1)), storage.changesAfter(all.get(0).sequence(), 1), "limit");
    assertEquals(List.of(all.get(2)), storage.changesAfter(all.get(1).sequence(), 100), "after the cursor");
    assertEquals(List.of(), storage.changesAfter(storage.lastChangeSequence(), 100), "nothing after the head");
  }

  @Test
  void movingATagServesTheNewManifestAndIsLogged() {
    Digest config = push("r", bytes("{}"));
    Manifest first = image(config, push("r", bytes("one")));
    Manifest second = image(config, push("r", bytes("two")));
    storage.putManifest("r", first, "v1");
    assertEquals(first.digest(), storage.manifest("r", Reference.parse("v1")).orElseThrow().digest());
    storage.putManifest("r", second, "v1");
    assertEquals(second.digest(), storage.manifest("r", Reference.parse("v1")).orElseThrow().digest());
    List<String> actions = storage.changesAfter(0, 100).stream().map(c -> c.action() + ":" + c.tag()).toList();
    assertEquals(List.of("manifest_put:null", "tag_set:v1", "manifest_put:null", "tag_set:v1"), actions);
  }

  @Test
  void deletingAManifestRemovesItsTagsButDeletingATagKeepsTheManifest() {
    Digest config = push("r", bytes("{}"));
    Manifest m = image(config);
    storage.putManifest("r", m, "a");
    storage.putManifest("r", m, "b");
    assertTrue(storage.deleteManifest("r", Reference.parse("a")));
    assertTrue(storage.manifest("r", Reference.parse(m.digest().toString())).isPresent());
    assertEquals(List.of("b"), storage.tags("r", null, 10).orElseThrow());
    assertTrue(storage.deleteManifest("r", Reference.parse(m.digest().toString())));
    assertEquals(List.of(), storage.tags("r", null, 10).orElseThrow());
    assertFalse(storage.deleteManifest("r", Reference.parse(m.digest().toString())));
  }

  @Test
  void tagsAndRepositoriesPageInLexicalOrder() {
    Digest config = push("r", bytes("{}"));
    Manifest m = image(config);
    for (String t : List.of("b", "a", "c", "B")) {
      storage.putManifest("r", m, t);
    }
    assertEquals(List.of("B", "a", "b", "c"), storage.tags("r", null, 10).orElseThrow());
    assertEquals(List.of("b", "c"), storage.tags("r", "a", 2).orElseThrow());
    assertTrue(storage.tags("unknown", null, 10).isEmpty());
    push("z", bytes("{}"));
    storage.putManifest("z", m, "t");
    push("y", bytes("only-a-blob"));
    assertEquals(List.of("r", "z"), storage.repositories(null, 10));
    assertEquals(List.of("z"), storage.repositories("r", 10));
  }

  @Test
  void referrersAreTheManifestsWhoseSubjectIsTheDigestFilteredByArtifactType() {
    Digest config = push("r", bytes("{}"));
    Manifest subject = image(config);
    storage.putManifest("r", subject, "v1");
    String sig = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"artifactType\":\"application/x-sig\","
        + "\"config\":{\"mediaType\":\"" + MediaTypes.OCI_EMPTY + "\",\"digest\":\"" + config + "\",\"size\":2},"
        + "\"layers\":[],\"subject\":{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + subject.digest()
        + "\",\"size\":" + subject.bytes().length + "},\"annotations\":{\"k\":\"v\"}}";
    Manifest referrer = ManifestParser.parse(bytes(sig), null, "sha256");
    storage.putManifest("r", referrer, null);
    List<ReferrerDescriptor> all = storage.referrers("r", subject.digest(), null);
    assertEquals(1, all.size());
    assertEquals(referrer.digest(), all.get(0).digest());
    assertEquals("application/x-sig", all.get(0).artifactType());
    assertEquals("v", all.get(0).annotations().get("k"));
    assertEquals(0, storage.referrers("r", subject.digest(), "application/other").size());
    assertEquals(0, storage.referrers("r", config, null).size());
  }

  @Test
  void anIndexNeedsItsChildManifestsInTheRepository() {
    Digest config = push("r", bytes("{}"));
    Manifest child = image(config);
    String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[{\"mediaType\":\""
        + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + child.digest() + "\",\"size\":" + child.bytes().length + "}]}";
    Manifest parsed = ManifestParser.parse(bytes(index), null, "sha256");
    RegistryException e = assertThrows(RegistryException.class, () -> storage.putManifest("r", parsed, "multi"));
    assertEquals(ErrorCode.MANIFEST_BLOB_UNKNOWN, e.code());
    storage.putManifest("r", child, null);
    storage.putManifest("r", parsed, "multi");
    assertTrue(storage.manifest("r", Reference.parse("multi")).isPresent());
  }

  @Test
  void everyManifestOrTagWriteMovesTheRepositorysGeneration() {
    Digest config = push("r", bytes("{}"));
    Manifest first = image(config, push("r", bytes("one")));
    Manifest second = image(config, push("r", bytes("two")));
    long g0 = storage.manifestGeneration("r");
    storage.putManifest("r", first, "v1");
    long g1 = storage.manifestGeneration("r");
    assertTrue(g1 != g0, "a push");
    storage.putManifestTags("r", second, List.of("v1", "v2"), ChangeOrigin.SYNC);
    long g2 = storage.manifestGeneration("r");
    assertTrue(g2 != g1, "a sync's many-tag put");
    storage.deleteManifest("r", Reference.parse("v2"));
    long g3 = storage.manifestGeneration("r");
    assertTrue(g3 != g2, "a tag delete");
    storage.deleteManifest("r", Reference.parse(first.digest().toString()), ChangeOrigin.SYNC);
    long g4 = storage.manifestGeneration("r");
    assertTrue(g4 != g3, "a manifest delete");
    Manifest missingBlob = image(config, Digest.sha256(bytes("never pushed")));
    assertThrows(RuntimeException.class, () -> storage.putManifest("r", missingBlob, "v1"));
    assertTrue(storage.manifestGeneration("r") != g4, "a refused put: whether it wrote is not known at the hook");
    assertEquals(second.digest(), storage.manifest("r", Reference.parse("v1")).orElseThrow().digest());
  }

  @Test
  void usageCountsEachBlobOnceAndOnlyRepositoriesWithManifests() {
    assertEquals(new StorageUsage(0, 0, 0), storage.usage());
    Digest config = push("a", bytes("{}"));
    Digest layer = push("a", bytes("layer"));
    storage.mountBlob("b", "a", layer); // linked twice, stored once
    push("empty", bytes("no manifest links me"));
    Manifest m = image(config, layer);
    storage.putManifest("a", m, "v1");

    StorageUsage usage = storage.usage();

    long blobBytes = bytes("{}").length + bytes("layer").length + bytes("no manifest links me").length;
    assertEquals(new StorageUsage(blobBytes + m.bytes().length, 1, 3), usage);
  }
}
