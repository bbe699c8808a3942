package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.MediaTypes;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.RegistryStorage;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every remote call against a real CNCF distribution registry holding images skopeo pushed. */
class ParentCallsTest {
  @TempDir static Path shared;
  static Distribution parent;
  static Path layout;
  static Digest pushed; // manifest digest of app:v1 as skopeo pushed it
  static List<String> tags = new ArrayList<>();
  static Path bigLayout;
  static Digest bigManifest;

  @TempDir Path dataDir;
  Vertx vertx;
  WorkerExecutor worker;
  ParentCaller caller;
  RegistryStorage storage;

  @BeforeAll
  static void startParent() {
    parent = Distribution.start(shared.resolve("parent"));
    layout = shared.resolve("layout");
    Images.make(layout, "v1", "-l", "4K", "-l", "2M", "-s", "11");
    pushed = Images.push(layout, "v1", parent.hostPort(), "team/app", null);
    tags.add("v1");
    for (String tag : List.of("v2", "v3", "v4", "v5")) {
      Images.make(layout, tag, "-l", "1K", "-s", tag);
      Images.push(layout, tag, parent.hostPort(), "team/app", null);
      tags.add(tag);
    }
    Images.push(layout, "v2", parent.hostPort(), "other/app", null);
    bigLayout = shared.resolve("big");
    bigManifest = Images.make(bigLayout, "big", "-l", "24M", "-z", "none", "-s", "big");
    Images.pushPreservingDigests(bigLayout, "big", parent.hostPort(), "team/big");
  }

  @AfterAll
  static void stopParent() {
    if (parent != null) {
      parent.close();
    }
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    worker = vertx.createSharedWorkerExecutor("registry-storage", 4);
    caller = new ParentCaller(vertx, ParentEndpoint.of(parent.url()), ParentPolicy.defaults());
    storage = LocalRegistryStorage.open(dataDir, LocalRegistryStorage.Options.defaults());
  }

  @AfterEach
  void tearDown() {
    caller.close();
    storage.close();
    Await.result(vertx.close());
  }

  @Test
  void pingSucceedsAgainstDistribution() {
    Await.result(new Ping(caller).ping());
  }

  @Test
  void tagsAreListed() {
    // distribution 2.8 ignores n for tags (one page, unsorted): pagination is in WireMockParentTest.
    List<String> all = Await.result(new ListTags(caller, 2).list("team/app")).orElseThrow().entries();
    assertEquals(tags, all.stream().sorted().toList());
  }

  @Test
  void tagsOfAnUnknownRepositoryAreEmpty() {
    assertEquals(Optional.empty(), Await.result(new ListTags(caller, 100).list("no/such")));
  }

  @Test
  void catalogListsEveryRepositoryAcrossPages() {
    long before = caller.requestsSent();
    List<String> all = Await.result(new ListCatalog(caller, 1).list()).entries();
    assertTrue(caller.requestsSent() - before >= 2, "distribution links to the next page of the catalog");
    // Other tests push more repositories; these two are there from the start.
    assertTrue(all.containsAll(List.of("other/app", "team/app")), all.toString());
    assertEquals(all.stream().sorted().distinct().toList(), all, "each page continues where the last ended");
  }

  @Test
  void manifestBytesAreExactlyWhatSkopeoPushed() {
    ParentManifest byTag = Await.result(new GetManifest(caller).get("team/app", Reference.parse("v1"))).orElseThrow();
    assertEquals(pushed, byTag.digest());
    assertEquals(pushed, Digest.sha256(byTag.bytes()));
    assertEquals(MediaTypes.OCI_MANIFEST, byTag.mediaType());
    assertArrayEquals(Images.bytes(Images.blob(layout, pushed)), byTag.bytes(), "skopeo pushed the layout's manifest unchanged");

    ParentManifest byDigest = Await.result(new GetManifest(caller).get("team/app", Reference.parse(pushed.toString()))).orElseThrow();
    assertArrayEquals(byTag.bytes(), byDigest.bytes());

    ManifestInfo head = Await.result(new HeadManifest(caller).head("team/app", Reference.parse("v1"))).orElseThrow();
    assertEquals(pushed, head.digest());
    assertEquals(byTag.bytes().length, head.size());
    assertEquals(MediaTypes.OCI_MANIFEST, head.mediaType());
  }

  @Test
  void unknownManifestIsEmpty() {
    assertEquals(Optional.empty(), Await.result(new GetManifest(caller).get("team/app", Reference.parse("nope"))));
    assertEquals(Optional.empty(), Await.result(new HeadManifest(caller).head("team/app", Reference.parse("nope"))));
  }

  @Test
  void referrersOfARegistryWithoutTheApiAreEmpty() {
    // distribution 2.8 predates the referrers API and answers 404.
    assertEquals(Optional.empty(), Await.result(new ListReferrers(caller).list("team/app", pushed)));
  }

  @Test
  void blobIsDownloadedIntoStorageWithItsDigestVerified() throws Exception {
    TransferCounter counter = new TransferCounter();
    BlobFetcher fetcher = new BlobFetcher(caller, storage, worker, counter);
    Digest big = Images.layers(layout, pushed).get(1);
    byte[] expected = Images.bytes(Images.blob(layout, big));

    BlobFetcher.Result result = Await.result(fetcher.fetch("team/app", big));

    assertFalse(result.alreadyPresent());
    assertEquals(expected.length, result.size());
    assertEquals(expected.length, result.bytesReceived());
    assertEquals(Optional.of((long) expected.length), storage.blobSize("team/app", big));
    try (var blob = storage.openBlob("team/app", big).channel()) {
      var buffer = java.nio.ByteBuffer.allocate(expected.length);
      while (buffer.hasRemaining() && blob.read(buffer) >= 0) { }
      assertArrayEquals(expected, buffer.array());
    }
    assertNoUploadsLeft(dataDir);

    BlobFetcher.Result again = Await.result(fetcher.fetch("team/app", big));
    assertTrue(again.alreadyPresent());
    assertEquals(expected.length, counter.blobBytes(), "the second fetch transferred nothing");
    assertEquals(1, counter.blobsCommitted());
  }

  @Test
  void blobLargerThanTheWriteQueueIsStreamedWithBackPressure() {
    // 24 MiB is many times the writer's queue bound (512 KiB at most): the response is paused and resumed.
    Digest big = Images.layers(bigLayout, bigManifest).get(0);
    byte[] expected = Images.bytes(Images.blob(bigLayout, big));
    assertTrue(expected.length > 3 * io.connectedregistry.storage.UploadWriteStream.MAX_QUEUED_BYTES);

    BlobFetcher.Result result = Await.result(new BlobFetcher(caller, storage, worker, new TransferCounter()).fetch("team/big", big));

    assertEquals(expected.length, result.size());
    assertEquals(Optional.of((long) expected.length), storage.blobSize("team/big", big));
  }

  @Test
  void blobIsPushedInChunksAndMounted() {
    byte[] content = new byte[300_000];
    new java.util.Random(7).nextBytes(content);
    Digest digest = Digest.sha256(content);

    UploadLocation upload = Await.result(new StartUpload(caller).start("push/one"));
    assertEquals(0, upload.offset());
    upload = Await.result(new PatchUpload(caller).patch("push/one", upload, Buffer.buffer(content).slice(0, 100_000)));
    assertEquals(100_000, upload.offset());
    Digest stored = Await.result(new PutUpload(caller).complete("push/one", upload, digest,
        Buffer.buffer(content).slice(100_000, content.length)));
    assertEquals(digest, stored);

    MountBlob.Result mounted = Await.result(new MountBlob(caller).mount("push/two", "push/one", digest));
    assertTrue(mounted.mounted());
    assertNull(mounted.upload());

    BlobFetcher.Result fetched = Await.result(
        new BlobFetcher(caller, storage, worker, new TransferCounter()).fetch("push/two", digest));
    assertEquals(content.length, fetched.size());

    MountBlob.Result notThere = Await.result(new MountBlob(caller).mount("push/three", "no/such", digest));
    assertFalse(notThere.mounted(), "a blob the source lacks is not mounted; an upload is opened instead");
    assertNotNull(notThere.upload());
  }

  static void assertNoUploadsLeft(Path dataDir) throws Exception {
    Path uploads = dataDir.resolve("uploads");
    if (Files.isDirectory(uploads)) {
      try (Stream<Path> left = Files.list(uploads)) {
        assertEquals(List.of(), left.toList(), "no upload is left behind");
      }
    }
  }
}
