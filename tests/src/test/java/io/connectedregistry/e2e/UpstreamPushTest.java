package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.ImageTools.layoutBlobs;
import static io.connectedregistry.e2e.support.ImageTools.layoutDigest;
import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.ImageTools;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import io.connectedregistry.e2e.support.TcpForwarder;
import io.connectedregistry.e2e.support.Workspace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * A ReadWrite connected registry pushes what clients push at it up to its parent (a real root of
 * this project, as separate processes): images and multi-arch indexes arrive at the root with the
 * same digests; what came down by sync is not sent back; while the parent is unreachable pushes
 * wait in the queue (the status counts them) and go up once it is back; a tag moved on both sides
 * keeps the newer value on both sides, with the conflict reported; deletes propagate; a kill -9 in
 * the middle of a large upload loses and duplicates nothing.
 *
 * <p>The child reaches the root through a {@link TcpForwarder} the test can make refuse, so "the
 * parent is down" for the child while the test still pushes at the root directly.
 */
@Order(3) // among the longest classes: started first (tests/pom.xml)
class UpstreamPushTest {
  private static Path work;
  private static RegistryProcess root;
  private static TcpForwarder link;
  private static RegistryProcess child;

  @BeforeAll
  static void start() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "the upstream queue is this project's own");
    work = Workspace.dir("upstream");
    root = RegistryProcess.startFresh("upstream-root");
    link = new TcpForwarder(root.port());
    child = RegistryProcess.startFresh("upstream-child", "--config",
        config("child", "http://" + link.hostPort(), "").toString());
  }

  @AfterAll
  static void stop() {
    if (child != null) {
      child.close();
    }
    if (link != null) {
      link.close();
    }
    if (root != null) {
      root.close();
    }
  }

  static Path config(String name, String parentUrl, String extraSync) {
    String yaml = "mode: ReadWrite\nparent:\n  endpoint: \"" + parentUrl + "\"\n"
        + "sync:\n  repositories:\n    - \"app/*\"\n" + extraSync;
    Path file = work.resolve(name + ".yaml");
    try {
      Files.writeString(file, yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  private static JsonNode status(RegistryProcess registry) {
    return new RegistryClient(registry).get("/_connected/v1/status").json();
  }

  /** Asks for a sync now (which also sends the upstream queue at once, whatever its backoff). */
  private static void trigger(RegistryProcess registry) {
    Response r = new RegistryClient(registry).post("/_connected/v1/sync", new byte[0]);
    assertEquals(202, r.status(), r.text());
  }

  /**
   * Waits until {@code arrived} holds (what the test expects at the root), then until the child's
   * queue is empty; triggers a sync now and then, which sends the queue at once.
   */
  private static JsonNode awaitUp(RegistryProcess registry, Duration within, BooleanSupplier arrived) {
    Instant deadline = Instant.now().plus(within);
    Instant nextTrigger = Instant.now().plusSeconds(5);
    while (!arrived.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("not at the root within " + within + "; child status: " + status(registry)
            + "\n" + registry.logTail(30));
      }
      if (Instant.now().isAfter(nextTrigger)) {
        trigger(registry);
        nextTrigger = Instant.now().plusSeconds(5);
      }
      sleep(200);
    }
    return awaitDrained(registry, within);
  }

  /** Waits until the child's upstream queue is empty, triggering now and then. */
  private static JsonNode awaitDrained(RegistryProcess registry, Duration within) {
    Instant deadline = Instant.now().plus(within);
    Instant nextTrigger = Instant.now();
    while (true) {
      JsonNode s = status(registry);
      if (s.path("upstreamQueue").path("pending").asLong(-1) == 0) {
        return s;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("the upstream queue did not drain within " + within + ": " + s);
      }
      if (Instant.now().isAfter(nextTrigger)) {
        trigger(registry);
        nextTrigger = Instant.now().plusSeconds(5);
      }
      sleep(200);
    }
  }

  private static void await(String what, Duration within, BooleanSupplier condition) {
    Instant deadline = Instant.now().plus(within);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("not within " + within + ": " + what);
      }
      sleep(200);
    }
  }

  private static String push(Path layout, String tag, RegistryProcess to, String repoAndTag, boolean all) {
    return SyncChainTest.push(layout, tag, to, repoAndTag, all);
  }

  /** The digest {@code repository:reference} has at {@code registry}, or null. */
  private static String digestAt(RegistryProcess registry, String repository, String reference) {
    Response r = new RegistryClient(registry).head("/v2/" + repository + "/manifests/" + reference,
        "Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
            + "application/vnd.docker.distribution.manifest.v2+json, "
            + "application/vnd.docker.distribution.manifest.list.v2+json");
    return r.status() == 200 ? r.headerOrNull("Docker-Content-Digest") : null;
  }

  private static long feedHead(RegistryProcess registry) {
    return new RegistryClient(registry).get("/_connected/v1/changes?after=0&limit=1").json().path("head").asLong();
  }

  /** The root's change events of one repository, as "action tag digest" lines. */
  private static java.util.List<String> events(RegistryProcess registry, String repository) {
    JsonNode feed = new RegistryClient(registry).get("/_connected/v1/changes?after=0&limit=10000").json();
    java.util.List<String> found = new java.util.ArrayList<>();
    for (JsonNode c : feed.path("changes")) {
      if (c.path("repository").asText().equals(repository)) {
        found.add(c.path("action").asText() + " " + c.path("tag").asText("") + " " + c.path("digest").asText());
      }
    }
    return found;
  }

  @Test
  void anImageAndAMultiArchIndexPushedAtTheChildReachTheRootWithTheSameDigests() {
    Path single = work.resolve("single");
    Path multi = work.resolve("multi");
    String singleDigest = makeImage(single, "v1", "-l", "4K", "-l", "700K", "-s", "up-single");
    String multiDigest = makeImage(multi, "m", "-a", "amd64,arm64", "-n", "2", "-S", "64K", "-s", "up-multi");
    push(single, "v1", child, "app/up-single:v1", false);
    push(multi, "m", child, "app/up-multi:v1", true);

    awaitUp(child, Duration.ofSeconds(60), () -> multiDigest.equals(digestAt(root, "app/up-multi", "v1"))
        && singleDigest.equals(digestAt(root, "app/up-single", "v1")));

    assertEquals(singleDigest, digestAt(root, "app/up-single", "v1"));
    assertEquals(multiDigest, digestAt(root, "app/up-multi", "v1"));
    Path back = work.resolve("multi-back");
    skopeo("copy", "--all", "--src-tls-verify=false", "docker://" + root.hostPort() + "/app/up-multi:v1",
        "oci:" + back + ":m").assertOk();
    assertEquals(layoutBlobs(multi), layoutBlobs(back), "every platform's manifest and blob reached the root");
    ImageTools.assertLayoutIntact(back);
    assertEquals(multiDigest, layoutDigest(back, "m"));

    // The root's feed brings the pushed tag back down: a no-op, no new change here.
    java.util.List<String> before = events(child, "app/up-single");
    JsonNode cycle = SyncChainTest.syncNow(child);
    assertEquals("Succeeded", cycle.path("syncState").asText(), cycle.toString());
    assertEquals(before, events(child, "app/up-single"), "the echo of a push changes nothing here");
    assertEquals(java.util.List.of("manifest_put  " + singleDigest, "tag_set v1 " + singleDigest), before);
  }

  @Test
  void aPushAtAReadWriteGrandchildIsRelayedUpToTheRoot() {
    RegistryProcess grandchild = RegistryProcess.startFresh("upstream-grandchild", "--config",
        config("grandchild", "http://" + child.hostPort(), "").toString());
    try {
      Path layout = work.resolve("relay");
      String digest = makeImage(layout, "v1", "-l", "32K", "-s", "up-relay");
      push(layout, "v1", grandchild, "app/relay:v1", false);
      awaitUp(grandchild, Duration.ofSeconds(60), () -> digest.equals(digestAt(child, "app/relay", "v1")));
      awaitUp(child, Duration.ofSeconds(60), () -> digest.equals(digestAt(root, "app/relay", "v1")));
    } finally {
      grandchild.close();
    }
  }

  @Test
  void contentSyncedDownIsNotPushedBack() {
    Path layout = work.resolve("from-root");
    String digest = makeImage(layout, "v1", "-l", "8K", "-s", "from-root");
    push(layout, "v1", root, "app/from-root:v1", false);
    long rootHead = feedHead(root);
    trigger(child);
    await("the child synced the root's image down", Duration.ofSeconds(60),
        () -> digest.equals(digestAt(child, "app/from-root", "v1")));

    sleep(3000); // a queue that sent it back would do so within its one-second poll
    JsonNode drained = awaitDrained(child, Duration.ofSeconds(30));
    assertEquals(0, drained.path("upstreamQueue").path("pending").asLong(), drained.toString());
    assertEquals(rootHead, feedHead(root), "the root recorded no change: nothing came back up");
    assertFalse(child.log().contains("upstream: pushed app/from-root"), "the child sent nothing of it up");
  }

  @Test
  void whileTheParentIsUnreachablePushesWaitCountedAndGoUpWhenItIsBack() {
    Path layout = work.resolve("offline");
    String digest = makeImage(layout, "v1", "-l", "16K", "-s", "up-offline");
    link.refuse();
    try {
      push(layout, "v1", child, "app/offline:v1", false);
      await("the status counts the waiting push", Duration.ofSeconds(30),
          () -> status(child).path("upstreamQueue").path("pending").asLong() > 0);
      int before = link.accepted();
      sleep(15_000);
      int tries = link.accepted() - before;
      // Without backoff (one-second polls, four tries of each HEAD) this would be 60 or more.
      assertTrue(tries < 30, "the queue backs off while the parent is down: " + tries + " connections in 15 s");
      assertTrue(status(child).path("upstreamQueue").path("pending").asLong() > 0);
      assertEquals(null, digestAt(root, "app/offline", "v1"));
    } finally {
      link.pass();
    }
    awaitUp(child, Duration.ofSeconds(90), () -> digest.equals(digestAt(root, "app/offline", "v1")));
  }

  @Test
  void aTagMovedOnBothSidesKeepsTheNewerValueOnBothSidesAndTheConflictIsReported() {
    Path layout = work.resolve("conflict");
    String base = makeImage(layout, "base", "-l", "4K", "-s", "conflict-base");
    String mine = makeImage(layout, "mine", "-l", "4K", "-s", "conflict-mine");
    String theirs = makeImage(layout, "theirs", "-l", "4K", "-s", "conflict-theirs");
    push(layout, "base", root, "app/conflict:v1", false);
    trigger(child);
    await("the child has the root's v1", Duration.ofSeconds(60),
        () -> base.equals(digestAt(child, "app/conflict", "v1")));

    // The parent's move comes after the local one: the parent's value wins.
    link.refuse();
    try {
      push(layout, "mine", child, "app/conflict:v1", false);
      sleep(1100);
      push(layout, "theirs", root, "app/conflict:v1", false);
    } finally {
      link.pass();
    }
    awaitUp(child, Duration.ofSeconds(90), () -> mine.equals(digestAt(root, "app/conflict", mine)));
    assertEquals(theirs, digestAt(root, "app/conflict", "v1"), "the parent's newer tag stays");
    assertEquals(mine, digestAt(root, "app/conflict", mine), "the local manifest went up by digest: nothing lost");
    await("the child takes the parent's newer value", Duration.ofSeconds(60),
        () -> theirs.equals(digestAt(child, "app/conflict", "v1")));
    String log = child.log();
    assertTrue(log.contains("moved on both sides") && log.contains(mine) && log.contains(theirs)
        && log.contains("kept the parent's value"), "the conflict is logged with both digests");

    // The local move comes after the parent's: the local value wins, at the root too.
    link.refuse();
    try {
      push(layout, "base", root, "app/conflict:v1", false);
      sleep(1100);
      push(layout, "mine", child, "app/conflict:v1", false);
    } finally {
      link.pass();
    }
    JsonNode after = awaitUp(child, Duration.ofSeconds(90), () -> mine.equals(digestAt(root, "app/conflict", "v1")));
    assertEquals(mine, digestAt(child, "app/conflict", "v1"));
    JsonNode details = status(child).path("statusDetails");
    assertEquals("UpstreamConflict", details.path("code").asText(), after.toString());
    assertTrue(details.path("description").asText().contains(mine)
        && details.path("description").asText().contains(base), details.toString());
    sleep(3000);
    trigger(child);
    sleep(3000);
    assertEquals(mine, digestAt(child, "app/conflict", "v1"), "sync does not bring the older value back down");
    assertEquals(mine, digestAt(root, "app/conflict", "v1"));
  }

  @Test
  void tagAndManifestDeletesAtTheChildPropagateToTheRoot() {
    Path layout = work.resolve("deletes");
    makeImage(layout, "one", "-l", "4K", "-s", "delete-one");
    String two = makeImage(layout, "two", "-l", "4K", "-s", "delete-two");
    push(layout, "one", child, "app/deletes:one", false);
    push(layout, "two", child, "app/deletes:two", false);
    awaitUp(child, Duration.ofSeconds(60), () -> two.equals(digestAt(root, "app/deletes", "two")));

    RegistryClient local = new RegistryClient(child);
    assertEquals(202, local.delete("/v2/app/deletes/manifests/one").status());
    assertEquals(202, local.delete("/v2/app/deletes/manifests/" + two).status());
    awaitUp(child, Duration.ofSeconds(60), () -> digestAt(root, "app/deletes", two) == null);

    assertEquals(null, digestAt(root, "app/deletes", "one"), "the tag delete reached the root");
    assertEquals(null, digestAt(root, "app/deletes", two), "the manifest delete reached the root");
    assertEquals(null, digestAt(root, "app/deletes", "two"));
  }

  @Test
  void aKill9DuringTheUploadOfALargeBlobLosesAndDuplicatesNothing() throws Exception {
    // Its own child, slowed to 4 MiB/s up, so that the 64 MiB layer is mid-way when it is killed.
    RegistryProcess slow = RegistryProcess.startFresh("upstream-slow", "--config",
        config("slow", "http://" + root.hostPort(), "  bandwidth: 4194304\n").toString());
    try {
      Path layout = work.resolve("large");
      String digest = makeImage(layout, "v1", "-l", "64M", "-l", "2K", "-s", "up-large");
      push(layout, "v1", slow, "app/large:v1", false);
      long bytesBefore = uploadBytes(root); // what other tests left there
      await("the root receives part of the large layer", Duration.ofSeconds(60),
          () -> uploadBytes(root) > bytesBefore + (8L << 20));
      long partial = uploadBytes(root) - bytesBefore;
      slow.kill9();
      assertTrue(partial < 64L << 20, "killed mid-way: " + partial + " bytes at the root");
      assertEquals(null, digestAt(root, "app/large", "v1"));

      slow.start();
      awaitUp(slow, Duration.ofSeconds(120), () -> digest.equals(digestAt(root, "app/large", "v1")));
      Path back = work.resolve("large-back");
      skopeo("copy", "--src-tls-verify=false", "docker://" + root.hostPort() + "/app/large:v1",
          "oci:" + back + ":v1").assertOk();
      ImageTools.assertLayoutIntact(back);
      assertEquals(layoutBlobs(layout), layoutBlobs(back), "the image arrived whole");
      assertEquals(java.util.List.of("manifest_put  " + digest, "tag_set v1 " + digest), events(root, "app/large"),
          "once: one manifest and one tag event at the root");
    } finally {
      slow.close();
    }
  }

  @Test
  void anUploadCutMidwayIsResumedFromTheBytesTheRootAlreadyHas() {
    try (TcpForwarder cut = new TcpForwarder(root.port())) {
      RegistryProcess slow = RegistryProcess.startFresh("upstream-resume", "--config",
          config("resume", "http://" + cut.hostPort(), "  bandwidth: 4194304\n").toString());
      try {
        Path layout = work.resolve("resume");
        String digest = makeImage(layout, "v1", "-l", "24M", "-l", "2K", "-s", "up-resume");
        long uploadsBefore = uploads(root);
        long bytesBefore = uploadBytes(root); // what other tests left there
        push(layout, "v1", slow, "app/resume:v1", false);
        await("the root receives part of the layer", Duration.ofSeconds(60),
            () -> uploadBytes(root) > bytesBefore + (6L << 20));
        cut.refuse(); // the connection breaks mid-PATCH
        sleep(500);
        cut.pass();
        awaitUp(slow, Duration.ofSeconds(120), () -> digest.equals(digestAt(root, "app/resume", "v1")));
        assertTrue(slow.log().contains("resuming the upload"), slow.logTail(30));
        assertEquals(uploadsBefore, uploads(root), "the broken upload was finished, not left behind for a new one");
      } finally {
        slow.close();
      }
    }
  }

  /** Uploads in progress at the root (folders under uploads/). */
  private static long uploads(RegistryProcess registry) {
    Path dir = registry.dataDir().resolve("uploads");
    if (!Files.isDirectory(dir)) {
      return 0;
    }
    try (var entries = Files.list(dir)) {
      return entries.filter(Files::isDirectory).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Bytes in the root's uploads in progress. */
  private static long uploadBytes(RegistryProcess registry) {
    Path uploads = registry.dataDir().resolve("uploads");
    if (!Files.isDirectory(uploads)) {
      return 0;
    }
    try (var files = Files.walk(uploads)) {
      return files.filter(p -> p.getFileName().toString().equals("data")).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0; // committed meanwhile
        }
      }).sum();
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
