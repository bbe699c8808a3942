package io.connectedregistry.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.ErrorCode;
import io.connectedregistry.oci.RegistryException;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.Reference;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalRegistryStorageTest extends RegistryStorageContract {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock();

  @Override
  protected RegistryStorage openFresh() {
    return reopen();
  }

  private LocalRegistryStorage reopen() {
    return LocalRegistryStorage.open(dir, new LocalRegistryStorage.Options(Duration.ofHours(24), Duration.ofHours(1), clock));
  }

  private LocalRegistryStorage local() {
    return (LocalRegistryStorage) storage;
  }

  @Test
  void theStoreHasARandomIdThatSurvivesReopening(@TempDir Path other) {
    String id = storage.storeId();
    assertTrue(id.matches("[0-9a-f]{32}"), id);
    storage.close();
    storage = reopen();
    assertEquals(id, storage.storeId(), "the same store keeps its id");
    try (LocalRegistryStorage second = LocalRegistryStorage.open(other,
        new LocalRegistryStorage.Options(Duration.ofHours(24), Duration.ofHours(1), clock))) {
      assertFalse(id.equals(second.storeId()), "another store has another id");
    }
  }

  @Test
  void theChangeLogRecordsWhoMadeEachChangeAndTheNewestChangeOfATag() {
    Digest config = push("r", bytes("{}"));
    Manifest first = image(config);
    Digest other = push("r", bytes("{\"a\":1}"));
    Manifest second = image(other);
    storage.putManifest("r", first, "v1"); // a client's: manifest_put, tag_set
    long clientSeen = storage.lastChangeSequence();
    clock.now = clock.now.plus(Duration.ofDays(3));
    storage.putManifest("r", second, "v1", ChangeOrigin.SYNC); // sync's: manifest_put, tag_set
    storage.deleteManifest("r", Reference.parse("v1")); // a client's again: tag_deleted

    List<Change> all = storage.changesAfter(0, 10);
    assertEquals(List.of(ChangeOrigin.CLIENT, ChangeOrigin.CLIENT, ChangeOrigin.SYNC, ChangeOrigin.SYNC,
        ChangeOrigin.CLIENT), all.stream().map(Change::origin).toList());
    Change latest = storage.latestTagChange("r", "v1").orElseThrow();
    assertEquals("tag_deleted", latest.action());
    assertEquals(second.digest().toString(), latest.digest());
    assertTrue(latest.byClient());
    assertTrue(storage.latestTagChange("r", "v2").isEmpty());

    RegistryStorage.ClientBacklog backlog = storage.clientChangesAfter(0, clock.millis() - 1000);
    assertEquals(3, backlog.changes(), "sync's changes are not counted");
    assertEquals(2, backlog.madeBefore(), "the two made three days before");
    assertEquals(1, storage.clientChangesAfter(clientSeen, clock.millis() - 1000).changes());
  }

  @Test
  void manyTagsOfOneManifestAreSetInOneTransactionAndNoneBeforeItsBlobsAreThere() {
    Digest config = push("r", bytes("{}"));
    Manifest whole = image(config);
    Manifest missing = image(Digest.of("sha256", bytes("not pushed")));
    long before = storage.lastChangeSequence();
    assertThrows(RegistryException.class,
        () -> storage.putManifestTags("r", missing, List.of("m1", "m2"), ChangeOrigin.SYNC));
    assertEquals(before, storage.lastChangeSequence(), "nothing of a refused manifest is recorded");
    assertEquals(java.util.Map.of(), storage.tagDigests("r"), "no tag before its image is whole");

    storage.putManifest("r", whole, "v0");
    storage.putManifestTags("r", whole, List.of("v0", "v1", "v2"), ChangeOrigin.SYNC);
    assertEquals(java.util.Map.of("v0", whole.digest(), "v1", whole.digest(), "v2", whole.digest()),
        storage.tagDigests("r"));
    assertEquals(List.of("tag_set", "tag_set"), storage.changesAfter(before + 2, 10).stream()
        .map(Change::action).toList(), "a tag that already pointed there is not changed again");
    assertEquals(java.util.Map.of(), storage.tagDigests("nothing-here"));
  }

  @Test
  void repositoriesByLastChangeAreNewestFirstFilteredAndBoundedWithTheRestCounted() {
    for (String repository : List.of("old", "hidden/x", "middle", "new")) {
      clock.now = clock.now.plus(Duration.ofMinutes(1));
      Digest config = push(repository, bytes("{\"r\":\"" + repository + "\"}"));
      storage.putManifest(repository, image(config), "v1");
      storage.putManifest(repository, image(config), "v2");
    }
    push("empty", bytes("no manifest"));
    clock.now = clock.now.plus(Duration.ofMinutes(1));
    Digest again = push("old", bytes("{\"r\":\"old again\"}"));
    storage.putManifest("old", image(again), "v3"); // old is now the newest

    RegistryStorage.RepositoryPage page = storage.repositoriesByLastChange(r -> !r.startsWith("hidden/"), 2);

    assertEquals(List.of("old", "new"), page.first().stream().map(RegistryStorage.RepositorySummary::name).toList());
    assertEquals(3, page.first().get(0).tags());
    assertEquals(clock.millis(), page.first().get(0).lastChange());
    assertEquals(1, page.more(), "middle; hidden/x is not counted, empty holds no manifest");
  }

  @Test
  void blobsLiveAtTheirContentAddress() {
    Digest d = push("r", bytes("content"));
    assertTrue(Files.exists(dir.resolve("blobs/sha256").resolve(d.hex().substring(0, 2)).resolve(d.hex())));
  }

  @Test
  void everyShardFolderOfSha256BlobsExistsFromTheStartAndComesBackAtOpen() throws Exception {
    Path sha256 = dir.resolve("blobs/sha256");
    assertEquals(256, shardFolders(sha256), "a new store has its 256 shard folders");
    Digest d = push("r", bytes("content"));
    assertEquals(256, shardFolders(sha256), "a blob commit created no folder");
    clock.advance(Duration.ofHours(2));
    storage.deleteBlob("r", d);
    storage.collectGarbage();
    assertEquals(256, shardFolders(sha256), "garbage collection leaves the folders");
    storage.close();
    Files.delete(sha256.resolve("0a"));
    storage = reopen();
    assertEquals(256, shardFolders(sha256), "a store that lacks one gets it back at open");
  }

  /**
   * A commit whose folder fsync failed after its rename leaves the file in blobs/ with no row; the
   * next commit of the same digest finds it there and must make its entry durable before its row.
   */
  @Test
  void aBlobFileAlreadyInPlaceHasItsFolderFsyncedBeforeItsRowCommits() throws Exception {
    byte[] content = bytes("left by a failed commit");
    Digest digest = Digest.sha256(content);
    Path file = dir.resolve("blobs/sha256").resolve(digest.hex().substring(0, 2)).resolve(digest.hex());
    Files.write(file, content);
    List<Path> synced = new java.util.concurrent.CopyOnWriteArrayList<>();
    Fsync.folderSynced = synced::add;
    try {
      assertEquals(digest, push("r", content));
    } finally {
      Fsync.folderSynced = p -> { };
    }
    assertTrue(synced.contains(file.getParent()), () -> "folders fsynced: " + synced);
    assertTrue(storage.blobSize("r", digest).isPresent());
  }

  private static long shardFolders(Path sha256) throws Exception {
    try (var list = Files.list(sha256)) {
      return list.filter(Files::isDirectory).filter(p -> p.getFileName().toString().matches("[0-9a-f]{2}")).count();
    }
  }

  @Test
  void aSecondProcessCannotOpenTheSameDataFolder() {
    StorageException e = assertThrows(StorageException.class, this::reopen);
    assertTrue(e.getMessage().contains("in use"), e.getMessage());
  }

  @Test
  void committedContentSurvivesReopening() throws Exception {
    Digest config = push("r", bytes("{}"));
    Manifest m = image(config);
    storage.putManifest("r", m, "v1");
    storage.close();
    storage = reopen();
    assertArrayEquals(m.bytes(), storage.manifest("r", Reference.parse("v1")).orElseThrow().bytes());
    assertArrayEquals(bytes("{}"), read("r", config));
  }

  @Test
  void garbageCollectionKeepsReferencedBlobsAndYoungOnesAndReclaimsTheRest() {
    Digest config = push("r", bytes("{}"));
    Digest kept = push("r", bytes("kept-layer"));
    Digest dropped = push("r", bytes("dropped-layer"));
    Manifest keep = image(config, kept);
    Manifest drop = image(config, dropped);
    storage.putManifest("r", keep, "keep");
    storage.putManifest("r", drop, "drop");
    storage.deleteManifest("r", Reference.parse(drop.digest().toString()));

    GcReport young = storage.collectGarbage();
    assertEquals(0, young.blobsRemoved(), "inside the grace period nothing goes");

    clock.advance(Duration.ofHours(2));
    GcReport report = storage.collectGarbage();
    assertEquals(1, report.blobsRemoved());
    assertEquals(Optional.empty(), storage.blobSize("r", dropped));
    assertFalse(Files.exists(local().paths().blob(dropped)));
    assertEquals(Optional.of((long) "kept-layer".length()), storage.blobSize("r", kept));
    assertTrue(Files.exists(local().paths().blob(kept)));
    assertTrue(Files.exists(local().paths().blob(config)));
  }

  @Test
  void changeLogTimestampsFollowTheInjectedClock() {
    clock.set(Instant.parse("2001-02-03T04:05:06Z"));
    Digest config = push("r", bytes("{}"));
    Manifest m = image(config);
    storage.putManifest("r", m, "v1");
    Instant pushed = clock.instant();
    clock.advance(Duration.ofMinutes(5));
    storage.deleteManifest("r", Reference.parse("v1"));
    Instant untagged = clock.instant();

    List<Change> changes = storage.changesAfter(0, 10);
    assertEquals(List.of("manifest_put", "tag_set", "tag_deleted"), changes.stream().map(Change::action).toList());
    assertEquals(List.of(pushed.toEpochMilli(), pushed.toEpochMilli(), untagged.toEpochMilli()),
        changes.stream().map(Change::timestampMillis).toList(), "timestamps from the storage's clock");
  }

  @Test
  void garbageCollectionAgesBlobsByTheInjectedClock() {
    // Blob and link rows must be dated by the clock the collector compares them with.
    clock.set(Instant.parse("2001-02-03T04:05:06Z"));
    Digest unreferenced = push("r", bytes("never referenced"));
    clock.advance(Duration.ofHours(2));
    GcReport report = storage.collectGarbage();
    assertEquals(1, report.blobsRemoved(), report::toString);
    assertEquals(Optional.empty(), storage.blobSize("r", unreferenced));
  }

  @Test
  void aBlobStillLinkedFromAnotherRepositorySurvivesGarbageCollection() {
    Digest shared = push("a", bytes("shared"));
    storage.putManifest("a", image(shared), "v1");
    assertTrue(storage.mountBlob("b", "a", shared));
    clock.advance(Duration.ofHours(2));
    storage.collectGarbage(); // b's link is unreferenced and goes; a's stays
    assertEquals(Optional.empty(), storage.blobSize("b", shared));
    assertTrue(Files.exists(local().paths().blob(shared)));
  }

  @Test
  void anOpenUploadHoldsBackCollectionOfBlobsPushedAfterItStarted() throws Exception {
    UploadStatus slow = storage.startUpload("r");
    Files.setLastModifiedTime(local().paths().uploadRepository(slow.id()),
        java.nio.file.attribute.FileTime.from(clock.instant()));
    clock.advance(Duration.ofMinutes(90));
    Digest layer = push("r", bytes("pushed-during-slow-upload"));
    clock.advance(Duration.ofMinutes(90));
    // The layer is older than the grace period but younger than the upload in progress.
    assertEquals(0, storage.collectGarbage().blobsRemoved());
    assertTrue(storage.blobSize("r", layer).isPresent());
  }

  @Test
  void uploadsAppendedFromManyThreadsAtOnceEachKeepTheirOwnBytes() throws Exception {
    // Heap buffers go to disk through staging buffers shared between appends: two appends
    // running at once must never write through the same one.
    int uploads = 8;
    byte[][] expected = new byte[uploads][];
    UploadStatus[] started = new UploadStatus[uploads];
    java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(uploads);
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(uploads);
    try {
      List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
      for (int u = 0; u < uploads; u++) {
        int upload = u;
        started[u] = storage.startUpload("r");
        java.util.Random random = new java.util.Random(u);
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        List<ByteBuffer[]> appends = new java.util.ArrayList<>();
        for (int a = 0; a < 12; a++) {
          ByteBuffer[] buffers = new ByteBuffer[1 + random.nextInt(3)];
          for (int b = 0; b < buffers.length; b++) {
            byte[] chunk = new byte[1 + random.nextInt(200 * 1024)]; // across the 128 KiB staging size
            random.nextBytes(chunk);
            all.write(chunk);
            buffers[b] = ByteBuffer.wrap(chunk);
          }
          appends.add(buffers);
        }
        expected[u] = all.toByteArray();
        done.add(threads.submit(() -> {
          try (UploadHandle handle = storage.openUpload("r", started[upload].id())) {
            together.await(30, java.util.concurrent.TimeUnit.SECONDS);
            for (ByteBuffer[] buffers : appends) {
              handle.append(buffers);
            }
            storage.commitUpload(handle, Digest.sha256(expected[upload]));
          }
          return null;
        }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get(60, java.util.concurrent.TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
    for (int u = 0; u < uploads; u++) {
      assertArrayEquals(expected[u], read("r", Digest.sha256(expected[u])), "upload " + u + "'s bytes on disk");
    }
  }

  @Test
  void anUploadThatStoppedGrowingNoLongerHoldsBackCollectionEvenWhileARequestKeepsItOpen() throws Exception {
    UploadStatus stalled = storage.startUpload("r");
    try (UploadHandle request = storage.openUpload("r", stalled.id())) {
      request.append(ByteBuffer.wrap(bytes("one byte a day")));
      setMtime(local().paths().uploadRepository(stalled.id()), clock.instant().minus(Duration.ofDays(3)));
      setMtime(local().paths().uploadData(stalled.id()), clock.instant().minus(Duration.ofHours(25)));
      Digest layer = push("r", bytes("pushed-while-the-upload-stalled"));
      clock.advance(Duration.ofHours(2));

      GcReport report = storage.collectGarbage();
      assertEquals(1, report.blobsRemoved(), () -> "a stalled upload must not pin collection: " + report);
      assertEquals(Optional.empty(), storage.blobSize("r", layer));
      assertEquals(0, report.uploadsExpired(), "an upload in use is not expired for stalling alone");
      request.append(ByteBuffer.wrap(bytes("!"))); // and its request may go on
    }
  }

  @Test
  void anUploadPastTheMaximumAgeIsDeletedEvenThoughItGrewRecently() throws Exception {
    UploadStatus trickle = storage.startUpload("r");
    try (UploadHandle request = storage.openUpload("r", trickle.id())) {
      request.append(ByteBuffer.wrap(bytes("a")));
    }
    setMtime(local().paths().uploadRepository(trickle.id()), clock.instant().minus(Duration.ofDays(8)));
    setMtime(local().paths().uploadData(trickle.id()), clock.instant().minus(Duration.ofHours(1)));
    Digest layer = push("r", bytes("pushed-during-the-trickle"));
    clock.advance(Duration.ofHours(2));

    GcReport report = storage.collectGarbage();
    assertEquals(1, report.uploadsExpired(), () -> "an upload older than uploadMaxAge goes: " + report);
    assertEquals(Optional.empty(), storage.uploadStatus("r", trickle.id()));
    assertEquals(1, report.blobsRemoved(), () -> "and holds nothing back: " + report);
    assertEquals(Optional.empty(), storage.blobSize("r", layer));
  }

  @Test
  void anUploadPastTheMaximumAgeIsCancelledUnderTheRequestStillWritingToIt() throws Exception {
    UploadStatus trickle = storage.startUpload("r");
    try (UploadHandle request = storage.openUpload("r", trickle.id())) {
      request.append(ByteBuffer.wrap(bytes("a")));
      setMtime(local().paths().uploadRepository(trickle.id()), clock.instant().minus(Duration.ofDays(8)));

      assertEquals(1, storage.expireUploads(), "an upload in use is deleted too once past uploadMaxAge");
      RegistryException write = assertThrows(RegistryException.class,
          () -> request.append(ByteBuffer.wrap(bytes("b"))));
      assertEquals(ErrorCode.BLOB_UPLOAD_UNKNOWN, write.code());
      RegistryException commit = assertThrows(RegistryException.class,
          () -> storage.commitUpload(request, Digest.sha256(bytes("a"))));
      assertEquals(ErrorCode.BLOB_UPLOAD_UNKNOWN, commit.code());
    }
    assertEquals(Optional.empty(), storage.blobSize("r", Digest.sha256(bytes("a"))));
  }

  @Test
  void belowTheFreeSpaceFloorNewBytesAreRefusedWhileReadsDeletesAndCommitsGoOn() throws Exception {
    Digest config = push("r", bytes("{}"));
    UploadStatus pending = storage.startUpload("r");
    try (UploadHandle request = storage.openUpload("r", pending.id())) {
      request.append(ByteBuffer.wrap(bytes("written before")));
    }
    storage.close();
    storage = openWithFloor(Long.MAX_VALUE / 4); // more than any disk has free

    assertTrue(storage.diskSpace().isLow());
    RegistryException start = assertThrows(RegistryException.class, () -> storage.startUpload("r"));
    assertEquals(ErrorCode.INSUFFICIENT_STORAGE, start.code());
    assertTrue(start.detail().contains("storage.minFreeBytes") && start.detail().contains("free"), start.detail());
    try (UploadHandle request = storage.openUpload("r", pending.id())) {
      RegistryException chunk = assertThrows(RegistryException.class,
          () -> request.append(ByteBuffer.wrap(bytes("more"))));
      assertEquals(ErrorCode.INSUFFICIENT_STORAGE, chunk.code());
      assertEquals(14, request.size(), "a refused chunk writes nothing");
      storage.commitUpload(request, Digest.sha256(bytes("written before"))); // needs no new space
    }
    assertArrayEquals(bytes("written before"), read("r", Digest.sha256(bytes("written before"))));
    RegistryException manifest = assertThrows(RegistryException.class,
        () -> storage.putManifest("r", image(config), "v1"));
    assertEquals(ErrorCode.INSUFFICIENT_STORAGE, manifest.code());
    assertArrayEquals(bytes("{}"), read("r", config));
    assertTrue(storage.deleteBlob("r", config));
  }

  // ---- handles parked open between the requests of a chunked push ----

  @Test
  void aParkedUploadIsTakenBackWithoutReopeningOnlyInItsOwnRepository() throws Exception {
    UploadStatus upload = storage.startUpload("r");
    assertTrue(storage.takeParkedUpload("r", upload.id()).isEmpty(), "nothing parked before a request");
    UploadHandle first = storage.openUpload("r", upload.id());
    first.append(ByteBuffer.wrap(bytes("first-")));
    assertTrue(first.park());

    assertTrue(storage.takeParkedUpload("other", upload.id()).isEmpty(), "another repository's request");
    UploadHandle second = storage.takeParkedUpload("r", upload.id()).orElseThrow();
    assertEquals(6, second.startSize());
    RegistryException busy = assertThrows(RegistryException.class, () -> storage.openUpload("r", upload.id()));
    assertEquals(ErrorCode.BLOB_UPLOAD_INVALID, busy.code(), "a taken handle is busy for other requests");
    assertTrue(storage.takeParkedUpload("r", upload.id()).isEmpty(), "taken once only");

    second.append(ByteBuffer.wrap(bytes("second")));
    RegistryException wrong = assertThrows(RegistryException.class,
        () -> storage.commitUpload(second, Digest.sha256(bytes("first-"))));
    assertEquals(ErrorCode.DIGEST_INVALID, wrong.code());
    storage.commitUpload(second, Digest.sha256(bytes("first-second")));
    assertArrayEquals(bytes("first-second"), read("r", Digest.sha256(bytes("first-second"))));
    assertFalse(second.park(), "a committed upload is closed, never parked");
    assertTrue(storage.takeParkedUpload("r", upload.id()).isEmpty());
  }

  @Test
  void aChunkRolledBackOnATakenHandleGoesBackToWhereItsOwnRequestStarted() throws Exception {
    UploadStatus upload = storage.startUpload("r");
    UploadHandle first = storage.openUpload("r", upload.id());
    first.append(ByteBuffer.wrap(bytes("kept-")));
    assertTrue(first.park());
    UploadHandle second = storage.takeParkedUpload("r", upload.id()).orElseThrow();
    second.append(ByteBuffer.wrap(bytes("dropped")));
    second.rollBack();
    assertEquals(5, second.size());
    assertEquals(5, Files.size(dir.resolve("uploads").resolve(upload.id()).resolve("data")));
    second.append(ByteBuffer.wrap(bytes("end")));
    storage.commitUpload(second, Digest.sha256(bytes("kept-end")));
    assertArrayEquals(bytes("kept-end"), read("r", Digest.sha256(bytes("kept-end"))));
  }

  @Test
  void aParkedUploadThatIsCancelledIsClosedAndForgotten() throws Exception {
    UploadStatus upload = storage.startUpload("r");
    UploadHandle handle = storage.openUpload("r", upload.id());
    handle.append(ByteBuffer.wrap(bytes("abc")));
    assertTrue(handle.park());
    assertTrue(storage.cancelUpload("r", upload.id()));
    assertTrue(handle.isClosed(), "its file descriptor is given back");
    assertTrue(storage.takeParkedUpload("r", upload.id()).isEmpty());
    RegistryException gone = assertThrows(RegistryException.class, () -> storage.openUpload("r", upload.id()));
    assertEquals(ErrorCode.BLOB_UPLOAD_UNKNOWN, gone.code());
  }

  @Test
  void pastTheBoundTheOldestParkedUploadIsClosedAndReopensWhereItWas() throws Exception {
    List<UploadStatus> uploads = new java.util.ArrayList<>();
    List<UploadHandle> handles = new java.util.ArrayList<>();
    for (int i = 0; i <= Uploads.MAX_PARKED; i++) {
      UploadStatus upload = storage.startUpload("r");
      UploadHandle handle = storage.openUpload("r", upload.id());
      handle.append(ByteBuffer.wrap(bytes("part-" + i + "-")));
      assertTrue(handle.park());
      uploads.add(upload);
      handles.add(handle);
    }
    String oldest = uploads.get(0).id();
    assertTrue(storage.takeParkedUpload("r", oldest).isEmpty(), "the oldest was evicted");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!handles.get(0).isClosed() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertTrue(handles.get(0).isClosed(), "an evicted handle's file is closed");
    try (UploadHandle reopened = storage.openUpload("r", oldest)) {
      assertEquals(7, reopened.startSize());
      reopened.append(ByteBuffer.wrap(bytes("end")));
      storage.commitUpload(reopened, Digest.sha256(bytes("part-0-end")));
    }
    UploadHandle newest = storage.takeParkedUpload("r", uploads.get(Uploads.MAX_PARKED).id()).orElseThrow();
    assertEquals(("part-" + Uploads.MAX_PARKED + "-").length(), newest.size());
    newest.close();
  }

  @Test
  void anUploadParkedWhenTheStoreClosesResumesFromItsFileAfterReopening() throws Exception {
    UploadStatus upload = storage.startUpload("r");
    UploadHandle handle = storage.openUpload("r", upload.id());
    handle.append(ByteBuffer.wrap(bytes("before-restart-")));
    assertTrue(handle.park());
    storage.close();
    assertTrue(handle.isClosed(), "closing the store closes parked uploads");
    storage = reopen();
    assertTrue(storage.takeParkedUpload("r", upload.id()).isEmpty(), "a new process has nothing parked");
    assertEquals(15, storage.uploadStatus("r", upload.id()).orElseThrow().size());
    try (UploadHandle resumed = storage.openUpload("r", upload.id())) {
      assertEquals(15, resumed.startSize());
      resumed.append(ByteBuffer.wrap(bytes("after")));
      RegistryException wrong = assertThrows(RegistryException.class,
          () -> storage.commitUpload(resumed, Digest.sha256(bytes("after"))));
      assertEquals(ErrorCode.DIGEST_INVALID, wrong.code(), "the hash is rebuilt from the file, not lost");
      storage.commitUpload(resumed, Digest.sha256(bytes("before-restart-after")));
    }
    assertArrayEquals(bytes("before-restart-after"), read("r", Digest.sha256(bytes("before-restart-after"))));
  }

  @Test
  void aChunkRolledBackLeavesTheUploadAsItWasAcknowledged() throws Exception {
    UploadStatus upload = storage.startUpload("r");
    try (UploadHandle first = storage.openUpload("r", upload.id())) {
      first.append(ByteBuffer.wrap(bytes("kept-")));
    }
    try (UploadHandle second = storage.openUpload("r", upload.id())) {
      second.append(ByteBuffer.wrap(bytes("dropped")));
      second.rollBack();
      assertEquals(5, second.size());
    }
    assertEquals(5, storage.uploadStatus("r", upload.id()).orElseThrow().size());
    try (UploadHandle third = storage.openUpload("r", upload.id())) {
      third.append(ByteBuffer.wrap(bytes("end")));
      storage.commitUpload(third, Digest.sha256(bytes("kept-end")));
    }
    assertArrayEquals(bytes("kept-end"), read("r", Digest.sha256(bytes("kept-end"))));
  }

  @Test
  void aStoreWithAFloorKeepsASpaceReserveAndAFloorOfZeroDropsIt() throws Exception {
    storage.close();
    storage = openWithFloor(16L * 1024 * 1024);
    Path reserve = local().paths().spaceReserve();
    assertEquals(8L * 1024 * 1024, Files.size(reserve), "half the floor, at most 8 MiB");
    assertFalse(storage.diskSpace().isLow());
    // Neither a deduplicating nor a compressing file system may store it in less.
    byte[] bytes = Files.readAllBytes(reserve);
    java.util.Set<java.nio.ByteBuffer> blocks = new java.util.HashSet<>();
    for (int at = 0; at < bytes.length; at += 4096) {
      blocks.add(java.nio.ByteBuffer.wrap(bytes, at, 4096).slice());
    }
    assertEquals(bytes.length / 4096, blocks.size(), "every 4 KiB block of the reserve differs");
    java.util.zip.Deflater deflater = new java.util.zip.Deflater();
    deflater.setInput(bytes);
    deflater.finish();
    byte[] out = new byte[bytes.length + 1024];
    int compressed = 0;
    while (!deflater.finished()) {
      compressed += deflater.deflate(out);
    }
    assertTrue(compressed > bytes.length * 0.99, "compresses to " + compressed + " of " + bytes.length);
    storage.close();
    storage = openWithFloor(0);
    assertFalse(Files.exists(reserve));
    // Giving the reserve back on a full disk needs a full disk: see the e2e DiskSpaceTest.
  }

  private LocalRegistryStorage openWithFloor(long minFreeBytes) {
    return LocalRegistryStorage.open(dir, new LocalRegistryStorage.Options(Duration.ofHours(24), Duration.ofHours(1),
        Duration.ofDays(7), minFreeBytes, clock));
  }

  private static void setMtime(Path file, Instant when) throws Exception {
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(when));
  }

  @Test
  void expiredUploadsAreDeleted() throws Exception {
    UploadStatus upload = storage.startUpload("r");
    Files.setLastModifiedTime(local().paths().uploadData(upload.id()),
        java.nio.file.attribute.FileTime.from(clock.instant().minus(Duration.ofHours(25))));
    assertEquals(1, storage.collectGarbage().uploadsExpired());
    assertEquals(Optional.empty(), storage.uploadStatus("r", upload.id()));
  }

  @Test
  void anOrphanBlobFileFromACrashIsCollected() throws Exception {
    Digest orphan = Digest.sha256(bytes("orphan"));
    Path file = local().paths().blob(orphan);
    Files.createDirectories(file.getParent());
    Files.write(file, bytes("orphan"));
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(clock.instant().minus(Duration.ofHours(3))));
    assertEquals(1, storage.collectGarbage().orphanFilesRemoved());
    assertFalse(Files.exists(file));
  }

  @Test
  void aBlobSetAsideByAnInterruptedCollectionIsRestoredWhenItsRowSurvived() throws Exception {
    Digest d = push("r", bytes("precious"));
    storage.close();
    // Simulate a crash after the file went to trash/ but before the transaction committed.
    Path trash = dir.resolve("trash").resolve("sha256-" + d.hex());
    Files.move(dir.resolve("blobs/sha256").resolve(d.hex().substring(0, 2)).resolve(d.hex()), trash);
    storage = reopen();
    assertArrayEquals(bytes("precious"), read("r", d));
    assertFalse(Files.exists(trash));
  }

  @Test
  void anUploadResumesAfterRestartFromTheBytesOnDisk() throws Exception {
    UploadStatus upload = storage.startUpload("r");
    try (UploadHandle h = storage.openUpload("r", upload.id())) {
      h.append(java.nio.ByteBuffer.wrap(bytes("first-")));
    }
    storage.close();
    storage = reopen();
    assertEquals(6, storage.uploadStatus("r", upload.id()).orElseThrow().size());
    try (UploadHandle h = storage.openUpload("r", upload.id())) {
      h.append(java.nio.ByteBuffer.wrap(bytes("second")));
      storage.commitUpload(h, Digest.sha256(bytes("first-second")));
    }
    assertTrue(storage.blobSize("r", Digest.sha256(bytes("first-second"))).isPresent());
  }

  // ---- the write lock only for what writes ----

  @Test
  void askingToLinkABlobNoRepositoryHoldsTakesNoWriteTransaction() throws Exception {
    Digest absent = Digest.sha256(bytes("nowhere"));
    long before = local().metadataCommits();
    assertFalse(storage.linkExistingBlob("r", absent));
    // A sync asks this before each download: it must not queue behind the commits of other blobs.
    assertEquals(0, local().metadataCommits() - before, "no write transaction for a blob that is nowhere");
    assertTrue(storage.blobSize("r", absent).isEmpty());

    UploadHandle upload = storage.openUpload("a", storage.startUpload("a").id());
    upload.append(ByteBuffer.wrap(bytes("somewhere")));
    Digest present = Digest.sha256(bytes("somewhere"));
    storage.commitUpload(upload, present);
    assertTrue(storage.linkExistingBlob("r", present), "a blob another repository holds is linked");
    assertArrayEquals(bytes("somewhere"), read("r", present));
  }

  // ---- blob commits at the same moment share one commit ----

  @Test
  void blobsCommittedAtTheSameMomentShareOneTransactionAndAreEachDurableAndVisible() throws Exception {
    int blobs = 6;
    List<UploadHandle> uploads = new java.util.ArrayList<>();
    for (int i = 0; i < blobs; i++) {
      UploadHandle upload = storage.openUpload("r" + i % 2, storage.startUpload("r" + i % 2).id());
      upload.append(ByteBuffer.wrap(bytes("blob " + i)));
      uploads.add(upload);
    }
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(blobs);
    List<java.util.concurrent.Future<Long>> commits = new java.util.ArrayList<>();
    long before;
    // Another connection holds the database's write lock (as the token CLI or another writer
    // would): every commit arrives while the first waits for it.
    try (java.sql.Connection other = java.sql.DriverManager.getConnection(
        "jdbc:sqlite:" + dir.resolve("metadata.db"));
        java.sql.Statement s = other.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      before = local().metadataCommits();
      for (int i = 0; i < blobs; i++) {
        UploadHandle upload = uploads.get(i);
        Digest digest = Digest.sha256(bytes("blob " + i));
        commits.add(pool.submit(() -> storage.commitUpload(upload, digest)));
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (local().blobCommitsWaiting() < blobs && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(blobs, local().blobCommitsWaiting(), "every commit queued behind the lock");
      s.execute("COMMIT");
    }
    for (int i = 0; i < blobs; i++) {
      assertEquals(bytes("blob " + i).length, commits.get(i).get(20, java.util.concurrent.TimeUnit.SECONDS));
    }
    pool.shutdown();
    assertEquals(1, local().metadataCommits() - before, "one transaction (one fsync) for all the blobs");
    for (int i = 0; i < blobs; i++) {
      assertArrayEquals(bytes("blob " + i), read("r" + i % 2, Digest.sha256(bytes("blob " + i))));
    }
    storage.close();
    storage = reopen();
    for (int i = 0; i < blobs; i++) {
      assertArrayEquals(bytes("blob " + i), read("r" + i % 2, Digest.sha256(bytes("blob " + i))), "after reopening");
    }
  }

  // ---- manifests stored at the same moment share one commit ----

  @Test
  void manifestsStoredAtTheSameMomentShareOneTransactionAndAreEachDurableAndTagged() throws Exception {
    int images = 6;
    List<Manifest> manifests = new java.util.ArrayList<>();
    for (int i = 0; i < images; i++) {
      manifests.add(image(push("r" + i % 2, bytes("config " + i)), push("r" + i % 2, bytes("layer " + i))));
    }
    // One of them names a layer its repository lacks: refused alone, the others stored.
    Manifest incomplete = image(push("r0", bytes("config x")), Digest.sha256(bytes("not pushed")));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(images + 1);
    List<java.util.concurrent.Future<?>> puts = new java.util.ArrayList<>();
    long before;
    // Another connection holds the write lock: every put arrives while the first waits for it.
    try (java.sql.Connection other = java.sql.DriverManager.getConnection(
        "jdbc:sqlite:" + dir.resolve("metadata.db"));
        java.sql.Statement s = other.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      before = local().metadataCommits();
      for (int i = 0; i < images; i++) {
        int n = i;
        puts.add(pool.submit(() -> storage.putManifestTags("r" + n % 2, manifests.get(n), List.of("v" + n, "latest" + n),
            ChangeOrigin.SYNC)));
      }
      puts.add(pool.submit(() -> storage.putManifest("r0", incomplete, "broken")));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (local().manifestCommitsWaiting() < images + 1 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(images + 1, local().manifestCommitsWaiting(), "every put queued behind the lock");
      s.execute("COMMIT");
    }
    for (int i = 0; i < images; i++) {
      puts.get(i).get(20, java.util.concurrent.TimeUnit.SECONDS);
    }
    java.util.concurrent.ExecutionException refused = assertThrows(java.util.concurrent.ExecutionException.class,
        () -> puts.get(images).get(20, java.util.concurrent.TimeUnit.SECONDS));
    assertTrue(refused.getCause().getMessage().contains("not in r0"), refused.getCause().getMessage());
    pool.shutdown();
    assertEquals(1, local().metadataCommits() - before, "one transaction (one fsync) for all the manifests");
    storage.close();
    storage = reopen();
    for (int i = 0; i < images; i++) {
      for (String tag : List.of("v" + i, "latest" + i)) {
        assertEquals(manifests.get(i).digest(), storage.manifest("r" + i % 2, Reference.parse(tag)).orElseThrow().digest(),
            "r" + i % 2 + ":" + tag + " after reopening");
      }
    }
    assertTrue(storage.manifest("r0", Reference.parse("broken")).isEmpty(), "the incomplete image left no tag");
    assertTrue(storage.manifest("r0", Reference.parse(incomplete.digest().toString())).isEmpty());
  }

  /** A clock the test moves, so garbage collection's grace periods need no real waiting. */
  static final class MutableClock extends Clock {
    private Instant now = Instant.now();

    void advance(Duration d) {
      now = now.plus(d);
    }

    void set(Instant instant) {
      now = instant;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
