package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.error;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.Oci;
import io.connectedregistry.e2e.support.Oci.Blob;
import io.connectedregistry.e2e.support.Oci.Manifest;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import io.connectedregistry.e2e.support.SmallDisk;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A registry whose data folder is a small file system (a tmpfs the test mounts itself) that runs
 * out of space: below {@code storage.minFreeBytes} new content is refused with 507
 * {@code INSUFFICIENT_STORAGE}; a real ENOSPC in the middle of a chunk fails that chunk cleanly;
 * everything acknowledged before stays byte-intact, across a restart; pulls and token
 * administration go on; deleting content and collecting garbage gives the space back; a connected
 * registry pauses sync for lack of space and says so in its status, then resumes by itself.
 */
class DiskSpaceTest {

  private static final int MIB = 1024 * 1024;
  /** Registries on a small disk, each with its disk at the same index. */
  private final List<RegistryProcess> registries = new ArrayList<>();
  private final List<SmallDisk> disks = new ArrayList<>();
  /** A parent on the ordinary disk (sync test). */
  private RegistryProcess parent;

  /** One image pushed and acknowledged (every blob 201, then the manifest 201). */
  private record Pushed(String repository, String tag, Manifest manifest, List<Blob> blobs) {}

  @BeforeEach
  void onlyThisRegistry() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "storage.minFreeBytes is this registry's own");
  }

  @AfterEach
  void cleanUp() {
    for (RegistryProcess r : registries) {
      if (r.isAlive()) {
        r.stop();
      }
    }
    disks.forEach(SmallDisk::close); // before deleting the data folders, which are mount points
    registries.forEach(RegistryProcess::close);
    if (parent != null) {
      parent.close();
    }
  }

  /** A registry (not started) whose data folder is a fresh tmpfs of {@code size}. */
  private RegistryProcess onSmallDisk(String name, String size, String yaml) {
    RegistryProcess r = AuthSupport.prepareWithConfig(name, yaml);
    registries.add(r);
    disks.add(SmallDisk.mount(r.dataDir(), size));
    return r;
  }

  private SmallDisk diskOf(RegistryProcess r) {
    return disks.get(registries.indexOf(r));
  }

  @Test
  void belowMinFreeBytesNewContentIsRefusedWith507AndEverythingAcknowledgedStaysIntact() {
    RegistryProcess registry = onSmallDisk("disk-full", "64m", "storage:\n"
        + "  minFreeBytes: 24M\n"
        + "auth:\n"
        + "  adminTokens: [disk-admin]\n");
    Credentials admin = AuthSupport.createToken(registry, "disk-admin", "--repository", "*", "content/read");
    Credentials reader = AuthSupport.createToken(registry, "disk-reader", "--repository", "*", "content/read");
    registry.start();
    SmallDisk disk = diskOf(registry);
    RegistryClient client = new RegistryClient(registry);

    // An upload with one acknowledged chunk, left open while the disk fills.
    byte[] held = Digests.randomBytes(77, MIB);
    URI heldUpload = client.startUpload("disk/held");
    Response chunk = status(client.patch(heldUpload.toString(), held, "Content-Type", "application/octet-stream"), 202);
    heldUpload = chunk.location();

    // Push 3 MiB images until the registry refuses (64 MiB cannot take 40 of them).
    List<Pushed> acknowledged = new ArrayList<>();
    Response refusal = null;
    for (int i = 0; i < 40 && refusal == null; i++) {
      Blob config = Oci.config("disk-" + i);
      Blob layer = Oci.layer(1000 + i, 3 * MIB);
      refusal = pushBlobOrRefusal(client, "disk/app", config);
      if (refusal == null) {
        refusal = pushBlobOrRefusal(client, "disk/app", layer);
      }
      if (refusal == null) {
        Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config, layer));
        Response put = client.put("/v2/disk/app/manifests/v" + i, m.bytes(), "Content-Type", m.mediaType());
        if (put.status() == 201) {
          acknowledged.add(new Pushed("disk/app", "v" + i, m, List.of(config, layer)));
        } else {
          refusal = put;
        }
      }
    }
    assertTrue(refusal != null, "64 MiB cannot take 40 images of 3 MiB, yet every push was accepted");
    Response refused = refusal;
    error(refused, 507, "INSUFFICIENT_STORAGE");
    String detail = refused.json().path("errors").get(0).path("detail").asText();
    assertTrue(detail.contains("storage.minFreeBytes") && detail.contains("free"),
        () -> "the refusal should say how much is free and the threshold: " + refused.describe());
    assertTrue(acknowledged.size() >= 3, () -> "the disk had room for several images first: " + acknowledged.size());

    // The refused bytes were given back, so the registry is at the floor, not below it. Another
    // process takes a little more: now below the floor (but far from full), nothing new is taken.
    disk.fillLeaving(16L * MIB);
    error(AuthSupport.await(() -> client.post("/v2/disk/other/blobs/uploads/", new byte[0]), 507,
        Duration.ofSeconds(5)), 507, "INSUFFICIENT_STORAGE"); // measured at most a second late
    error(client.patch(heldUpload.toString(), Digests.randomBytes(78, 256 * 1024),
        "Content-Type", "application/octet-stream"), 507, "INSUFFICIENT_STORAGE");
    Response heldStatus = status(client.get(heldUpload.toString()), 204);
    assertEquals("0-" + (MIB - 1), heldStatus.headerOrNull("Range"),
        () -> "a refused chunk leaves the upload as it was acknowledged: " + heldStatus.describe());
    Pushed first = acknowledged.get(0);
    Manifest retag = Oci.manifest(Oci.IMAGE_MANIFEST, withAnnotation(first, "retag"));
    error(client.put("/v2/disk/app/manifests/retag", retag.bytes(), "Content-Type", retag.mediaType()),
        507, "INSUFFICIENT_STORAGE");
    // ... but bytes already written may still be committed: that needs no new space.
    status(client.put(RegistryClient.withQuery(heldUpload, "digest", Digests.sha256(held)), new byte[0]), 201);

    // Pulls go on, byte-exact.
    assertIntact(client, acknowledged);
    assertBlob(client, "disk/held", held);

    // Another process fills the disk to the last byte: token administration must still work.
    disk.fillSparingTheReserve(registry.dataDir().resolve("space-reserve"));
    disk.awaitFree(free -> free > MIB, Duration.ofSeconds(5)); // the registry may give back a reserve
    String token = "/_connected/v1/admin/tokens/disk-reader";
    Response disabled = client.send("PATCH", token,
        java.net.http.HttpRequest.BodyPublishers.ofString("{\"status\":\"disabled\"}", StandardCharsets.UTF_8),
        AuthSupport.concat(admin.header(), "Content-Type", "application/json"));
    status(disabled, 200);
    String firstManifest = "/v2/disk/app/manifests/" + first.tag();
    error(AuthSupport.await(() -> client.get(firstManifest, AuthSupport.concat(reader.header(), "Accept", Oci.IMAGE_MANIFEST)), 401, Duration.ofSeconds(5)),
        401, "UNAUTHORIZED");
    Command.Result enabled = AuthSupport.cli(registry, "token", "update", "disk-reader", "--status", "enabled");
    assertTrue(enabled.ok(), () -> "the token CLI on a full disk: " + enabled.describe());
    status(AuthSupport.await(() -> client.get(firstManifest, AuthSupport.concat(reader.header(), "Accept", Oci.IMAGE_MANIFEST)),
        200, Duration.ofSeconds(5)), 200);
    assertIntact(client, acknowledged);

    // A restart on the full disk: everything acknowledged is still there, nothing half-written is.
    registry.restart();
    assertIntact(client, acknowledged);
    assertBlob(client, "disk/held", held);
    String refusedDigest = refusedBlobDigest(refused);
    if (refusedDigest != null) {
      status(client.head("/v2/disk/app/blobs/" + refusedDigest), 404);
    }
    error(client.post("/v2/disk/other/blobs/uploads/", new byte[0]), 507, "INSUFFICIENT_STORAGE");

    // Space comes back: the other process's file goes, half the images are deleted and collected.
    disk.unfill();
    List<Pushed> deleted = acknowledged.subList(0, acknowledged.size() / 2 + 1);
    for (Pushed p : deleted) {
      status(client.delete("/v2/" + p.repository() + "/manifests/" + p.manifest().digest()), 202);
    }
    registry.stop();
    registry.runGc("--grace", "PT0S").assertOk();
    registry.start();
    List<Pushed> kept = acknowledged.subList(deleted.size(), acknowledged.size());
    assertIntact(client, kept);
    for (int i = 0; i < 2; i++) {
      Blob config = Oci.config("after-" + i);
      Blob layer = Oci.layer(5000 + i, 3 * MIB);
      client.pushBlob("disk/again", config.data());
      client.pushBlob("disk/again", layer.data());
      Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config, layer));
      client.pushManifest("disk/again", "v" + i, m.mediaType(), m.bytes());
      assertIntact(client, List.of(new Pushed("disk/again", "v" + i, m, List.of(config, layer))));
    }
  }

  @Test
  void aRealEnospcInTheMiddleOfAChunkFailsThatChunkCleanlyAndTheUploadResumes() {
    // minFreeBytes 0: no early refusal, so the write meets the kernel's ENOSPC itself.
    RegistryProcess registry = onSmallDisk("disk-enospc", "32m", "storage:\n  minFreeBytes: 0\n");
    registry.start();
    SmallDisk disk = diskOf(registry);
    RegistryClient client = new RegistryClient(registry);
    Pushed before = push(client, "enospc/app", "before", 1, MIB);

    byte[] blob = Digests.randomBytes(88, 8 * MIB);
    byte[] head = Arrays.copyOfRange(blob, 0, 4 * MIB);
    byte[] tail = Arrays.copyOfRange(blob, 4 * MIB, blob.length);
    URI upload = client.startUpload("enospc/app");
    upload = status(client.patch(upload.toString(), head, "Content-Type", "application/octet-stream",
        "Content-Range", "0-" + (4 * MIB - 1)), 202).location();

    disk.fillUntilStillFullAfter(Duration.ofMillis(1500), Duration.ofSeconds(15));
    Response failed = client.patch(upload.toString(), tail, "Content-Type", "application/octet-stream",
        "Content-Range", 4 * MIB + "-" + (8 * MIB - 1));
    error(failed, 507, "INSUFFICIENT_STORAGE");
    Response after = status(client.get(upload.toString()), 204);
    assertEquals("0-" + (4 * MIB - 1), after.headerOrNull("Range"),
        () -> "the failed chunk leaves nothing behind; the acknowledged one stays: " + after.describe());
    status(client.head("/v2/enospc/app/blobs/" + Digests.sha256(blob)), 404);
    assertIntact(client, List.of(before));

    disk.unfill();
    upload = status(client.patch(upload.toString(), tail, "Content-Type", "application/octet-stream",
        "Content-Range", 4 * MIB + "-" + (8 * MIB - 1)), 202).location();
    status(client.put(RegistryClient.withQuery(upload, "digest", Digests.sha256(blob)), new byte[0]), 201);
    assertBlob(client, "enospc/app", blob);

    registry.restart();
    assertIntact(client, List.of(before));
    assertBlob(client, "enospc/app", blob);
  }

  @Test
  void onADiskFilledWhileTheRegistryWasStoppedTheTokenCliWorksAndTheRegistryStartsAndServes() {
    RegistryProcess registry = onSmallDisk("disk-stopped", "32m", "storage:\n  minFreeBytes: 8M\n"
        + "auth:\n  anonymousPull: true\n");
    Credentials user = AuthSupport.createToken(registry, "disk-user", "--repository", "*", "content/read",
        "content/write", "metadata/read");
    registry.start();
    SmallDisk disk = diskOf(registry);
    RegistryClient client = new RegistryClient(registry);
    Pushed image = pushAs(client, user, "stopped/app", "v1", 31, MIB);
    registry.stop();

    disk.fill(); // to the last byte, while nothing of the registry runs
    Command.Result disabled = AuthSupport.cli(registry, "token", "update", "disk-user", "--status", "disabled");
    assertTrue(disabled.ok(), () -> "the token CLI on a full disk: " + disabled.describe());

    registry.start();
    assertIntact(client, List.of(image));
    error(client.get("/v2/stopped/app/manifests/v1", AuthSupport.concat(user.header(), "Accept", Oci.IMAGE_MANIFEST)),
        401, "UNAUTHORIZED");
  }

  @Test
  void aConnectedRegistryLowOnSpacePausesSyncSaysWhyAndResumesWhenSpaceReturns() {
    parent = RegistryProcess.startFresh("disk-parent");
    RegistryClient parentClient = new RegistryClient(parent);
    Pushed image = push(parentClient, "app/synced", "v1", 21, MIB);

    RegistryProcess child = onSmallDisk("disk-child", "64m", "parent:\n"
        + "  endpoint: \"http://" + parent.hostPort() + "\"\n"
        + "sync:\n"
        + "  repositories: [\"app/*\"]\n"
        + "storage:\n"
        + "  minFreeBytes: 40M\n");
    SmallDisk disk = diskOf(child);
    child.start();
    RegistryClient client = new RegistryClient(child);
    JsonNode synced = awaitStatus(client, s -> s.path("syncState").asText().equals("Succeeded"), Duration.ofSeconds(30));
    assertEquals("Succeeded", synced.path("syncState").asText(), synced::toString);
    assertIntact(client, List.of(image));

    // Another process takes the space: free drops below 40 MiB (but the disk is not full). The
    // status says so by itself, without waiting for the next cycle.
    disk.fillLeaving(30L * MIB);
    JsonNode paused = awaitStatus(client, s -> s.path("syncState").asText().equals("Paused"), Duration.ofSeconds(20));
    assertEquals("Paused", paused.path("syncState").asText(), () -> "sync should pause for lack of space: " + paused);
    JsonNode why = paused.path("paused");
    assertEquals("InsufficientStorage", why.path("reason").asText(), paused::toString);
    assertEquals(40L * MIB, why.path("minFreeBytes").asLong(), paused::toString);
    assertTrue(why.path("freeBytes").asLong() < 40L * MIB && why.path("freeBytes").asLong() > 0, paused::toString);
    assertTrue(why.path("description").asText().contains("storage.minFreeBytes"), paused::toString);

    // New content at the parent, and an operator asks for a sync: it waits for space.
    Pushed later = push(parentClient, "app/synced", "v2", 22, MIB);
    status(client.post("/_connected/v1/sync", new byte[0]), 202);
    sleep(3000);
    JsonNode still = client.get("/_connected/v1/status").json();
    assertEquals("Paused", still.path("syncState").asText(), still::toString);
    status(client.get("/v2/app/synced/manifests/v2", "Accept", Oci.IMAGE_MANIFEST), 404);
    assertIntact(client, List.of(image)); // pulls go on

    // The space comes back: sync resumes by itself (no trigger) and the new image arrives.
    disk.unfill();
    JsonNode resumed = awaitStatus(client, s -> s.path("syncState").asText().equals("Succeeded")
        && s.path("paused").isMissingNode() && hasManifest(client, later), Duration.ofSeconds(60));
    assertTrue(resumed.path("paused").isMissingNode(), () -> "no longer paused: " + resumed);
    assertIntact(client, List.of(image, later));
  }

  // ------------------------------------------------------------------------------------------

  private static boolean hasManifest(RegistryClient client, Pushed p) {
    return client.head("/v2/" + p.repository() + "/manifests/" + p.tag(), "Accept", Oci.IMAGE_MANIFEST).status() == 200;
  }

  private static JsonNode awaitStatus(RegistryClient client, Predicate<JsonNode> done, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    JsonNode status = client.get("/_connected/v1/status").json();
    while (!done.test(status) && Instant.now().isBefore(deadline)) {
      sleep(250);
      status = client.get("/_connected/v1/status").json();
    }
    return status;
  }

  /** Pushes config + one random layer + a manifest tagged {@code tag}; asserts every 201. */
  private static Pushed push(RegistryClient client, String repository, String tag, long seed, int layerSize) {
    Blob config = Oci.config(repository + ":" + tag);
    Blob layer = Oci.layer(seed, layerSize);
    client.pushBlob(repository, config.data());
    client.pushBlob(repository, layer.data());
    Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config, layer));
    client.pushManifest(repository, tag, m.mediaType(), m.bytes());
    return new Pushed(repository, tag, m, List.of(config, layer));
  }

  private static Pushed pushAs(RegistryClient client, Credentials who, String repository, String tag, long seed,
      int layerSize) {
    Blob config = Oci.config(repository + ":" + tag);
    Blob layer = Oci.layer(seed, layerSize);
    AuthSupport.pushBlob(client, who.header(), repository, config.data());
    AuthSupport.pushBlob(client, who.header(), repository, layer.data());
    Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config, layer));
    AuthSupport.pushManifest(client, who.header(), repository, tag, m);
    return new Pushed(repository, tag, m, List.of(config, layer));
  }

  /** POST + PUT with the whole blob: null when acknowledged (201), else the refusing answer. */
  private static Response pushBlobOrRefusal(RegistryClient client, String repository, Blob blob) {
    Response start = client.post("/v2/" + repository + "/blobs/uploads/", new byte[0]);
    if (start.status() != 202) {
      return start;
    }
    Response put = client.put(RegistryClient.withQuery(start.location(), "digest", blob.digest()), blob.data(),
        "Content-Type", "application/octet-stream");
    return put.status() == 201 ? null : put;
  }

  private static String refusedBlobDigest(Response refused) {
    String query = refused.uri().getRawQuery();
    if (query == null || !query.contains("digest=")) {
      return null;
    }
    return java.net.URLDecoder.decode(query.substring(query.indexOf("digest=") + 7), StandardCharsets.UTF_8);
  }

  private static com.fasterxml.jackson.databind.node.ObjectNode withAnnotation(Pushed p, String value) {
    var node = Oci.imageManifest(p.blobs().get(0), p.blobs().get(1));
    node.putObject("annotations").put("e2e.retag", value);
    return node;
  }

  /** Every manifest by tag and by digest, and every blob, byte-for-byte as acknowledged. */
  private static void assertIntact(RegistryClient client, List<Pushed> images) {
    for (Pushed p : images) {
      for (String ref : List.of(p.tag(), p.manifest().digest())) {
        Response m = client.get("/v2/" + p.repository() + "/manifests/" + ref, "Accept", p.manifest().mediaType());
        status(m, 200);
        assertEquals(p.manifest().digest(), Digests.sha256(m.body()), () -> "manifest " + ref + " changed: " + m.describe());
      }
      for (Blob b : p.blobs()) {
        assertBlob(client, p.repository(), b.data());
      }
    }
  }

  private static void assertBlob(RegistryClient client, String repository, byte[] data) {
    String digest = Digests.sha256(data);
    Response r = status(client.get("/v2/" + repository + "/blobs/" + digest), 200);
    assertEquals(digest, Digests.sha256(r.body()), () -> "blob " + digest + " in " + repository + " changed");
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
