package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.RegistryClient.withQuery;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.Oci;
import io.connectedregistry.e2e.support.Oci.Blob;
import io.connectedregistry.e2e.support.Oci.Manifest;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code kill -9} in the middle of concurrent pushes: after a restart on the same data, every blob
 * and manifest whose 201 reached the client is served intact, no upload that was never finished
 * shows up as a blob, every visible blob matches its digest, every tag points at a complete
 * manifest, and /readyz is 200. Three kills at random points, the ledger accumulating, so content
 * from the first round must also survive the later kills.
 *
 * <p>The random seed is printed; rerun one sequence with {@code -Dcrash.seed=N}.
 */
class CrashSafetyTest {

  private static final int WORKERS = 6;
  private static final int ROUNDS = 3;
  private static final String[] REPOS = {"crash/one", "crash/two", "crash/three"};

  record BlobRef(String repo, String digest, long size) {}

  record ManifestRef(String repo, String tag, Manifest manifest) {}

  /** What the clients know: only what was acknowledged with 201 counts as committed. */
  static final class Ledger {
    final Set<BlobRef> ackedBlobs = ConcurrentHashMap.newKeySet();
    final Set<BlobRef> attemptedBlobs = ConcurrentHashMap.newKeySet();
    final Set<BlobRef> abandonedUploads = ConcurrentHashMap.newKeySet();
    final Set<ManifestRef> ackedManifests = ConcurrentHashMap.newKeySet();
    final AtomicInteger requests = new AtomicInteger();
  }

  private RegistryProcess registry;

  @AfterEach
  void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void everyAcknowledgedPushSurvivesKill9AndNothingPartialBecomesVisible() throws Exception {
    long seed = Long.getLong("crash.seed", System.nanoTime());
    System.out.println("CrashSafetyTest seed: " + seed + " (rerun with -Dcrash.seed=" + seed + ")");
    Random random = new Random(seed);
    registry = RegistryProcess.startFresh("crash");
    Ledger ledger = new Ledger();

    for (int round = 1; round <= ROUNDS; round++) {
      RegistryClient client = new RegistryClient(registry);
      AtomicBoolean running = new AtomicBoolean(true);
      List<Thread> workers = new ArrayList<>();
      for (int w = 0; w < WORKERS; w++) {
        long workerSeed = random.nextLong();
        String name = "r" + round + "w" + w;
        Thread t = new Thread(() -> work(client, name, new Random(workerSeed), running, ledger), "crash-" + name);
        t.setDaemon(true);
        workers.add(t);
        t.start();
      }
      // let the workers get going (a cold JVM is slow at first), then kill at a random moment
      int acksAtStart = ledger.ackedBlobs.size() + ledger.ackedManifests.size();
      long warmUpDeadline = System.currentTimeMillis() + 30_000;
      while (ledger.ackedBlobs.size() + ledger.ackedManifests.size() < acksAtStart + 5
          && System.currentTimeMillis() < warmUpDeadline) {
        Thread.sleep(20);
      }
      long killAfter = 200 + random.nextInt(1300);
      Thread.sleep(killAfter);
      int acksBefore = ledger.ackedBlobs.size() + ledger.ackedManifests.size() - acksAtStart;
      registry.kill9();
      running.set(false);
      for (Thread t : workers) {
        t.join(30_000);
        assertTrue(!t.isAlive(), "worker " + t.getName() + " did not stop after the kill");
      }
      System.out.printf("round %d: killed %d ms after warm-up; acked so far %d blobs, %d manifests, %d requests%n",
          round, killAfter, ledger.ackedBlobs.size(), ledger.ackedManifests.size(), ledger.requests.get());
      assertTrue(acksBefore >= 5, "the workers should have pushed something before the kill (round " + round + ")");

      registry.start();
      verify(new RegistryClient(registry), ledger, "after kill " + round + " (seed " + seed + ")");
    }
  }

  /** One worker: pushes images (layers in every upload style, config, manifest) until stopped. */
  private static void work(RegistryClient client, String name, Random rnd, AtomicBoolean running, Ledger ledger) {
    int n = 0;
    while (running.get()) {
      String repo = REPOS[rnd.nextInt(REPOS.length)];
      try {
        List<Blob> layers = new ArrayList<>();
        int count = 1 + rnd.nextInt(3);
        for (int i = 0; i < count && running.get(); i++) {
          int size = 1024 + rnd.nextInt(rnd.nextInt(8) == 0 ? 1_000_000 : 100_000);
          Blob layer = Blob.of(Oci.LAYER_GZIP, Digests.randomBytes(rnd.nextLong(), size));
          upload(client, repo, layer.data(), rnd, ledger);
          layers.add(layer);
        }
        if (rnd.nextInt(5) == 0) {
          abandonUpload(client, repo, Digests.randomBytes(rnd.nextLong(), 50_000 + rnd.nextInt(100_000)), rnd, ledger);
        }
        Blob config = Oci.config(name + "/" + n);
        upload(client, repo, config.data(), rnd, ledger);
        Manifest m = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(config, layers.toArray(Blob[]::new)));
        String tag = name + "-" + n;
        Response r = count(ledger, client.put("/v2/" + repo + "/manifests/" + tag, m.bytes(),
            "Content-Type", Oci.IMAGE_MANIFEST));
        if (r.status() == 201) {
          ledger.ackedManifests.add(new ManifestRef(repo, tag, m));
        }
        if (rnd.nextInt(3) == 0) {
          count(ledger, client.put("/v2/" + repo + "/manifests/latest", m.bytes(), "Content-Type", Oci.IMAGE_MANIFEST));
        }
        n++;
      } catch (UncheckedIOException | AssertionError e) {
        // the registry was killed (connection refused/reset) or answered oddly: the ledger decides
        if (!running.get()) {
          return;
        }
      }
    }
  }

  private static Response count(Ledger ledger, Response r) {
    ledger.requests.incrementAndGet();
    return r;
  }

  /** Uploads one blob by a random method; records it as acknowledged only on 201. */
  private static void upload(RegistryClient client, String repo, byte[] data, Random rnd, Ledger ledger) {
    String digest = Digests.sha256(data);
    BlobRef ref = new BlobRef(repo, digest, data.length);
    ledger.attemptedBlobs.add(ref);
    Response done;
    switch (rnd.nextInt(3)) {
      case 0 -> done = count(ledger, client.post("/v2/" + repo + "/blobs/uploads/?digest=" + RegistryClient.encode(digest),
          data, "Content-Type", "application/octet-stream"));
      case 1 -> {
        Response start = count(ledger, client.post("/v2/" + repo + "/blobs/uploads/", new byte[0]));
        if (start.status() != 202) {
          return;
        }
        done = count(ledger, client.put(withQuery(start.location(), "digest", digest), data,
            "Content-Type", "application/octet-stream"));
      }
      default -> {
        URI loc = patchChunks(client, repo, data, data.length, rnd, ledger);
        if (loc == null) {
          return;
        }
        done = count(ledger, client.put(withQuery(loc, "digest", digest), new byte[0]));
      }
    }
    if (done.status() == 201) {
      ledger.ackedBlobs.add(ref);
    }
  }

  /** POST + PATCHes of data[0..upTo); returns the last Location or null when refused. */
  private static URI patchChunks(RegistryClient client, String repo, byte[] data, int upTo, Random rnd, Ledger ledger) {
    Response start = count(ledger, client.post("/v2/" + repo + "/blobs/uploads/", new byte[0]));
    if (start.status() != 202) {
      return null;
    }
    URI loc = start.location();
    int chunks = 2 + rnd.nextInt(3);
    int step = Math.max(1, upTo / chunks);
    for (int off = 0; off < upTo; off += step) {
      int end = Math.min(upTo, off + step);
      Response p = count(ledger, client.patch(loc.toString(), Arrays.copyOfRange(data, off, end),
          "Content-Type", "application/octet-stream", "Content-Range", off + "-" + (end - 1)));
      if (p.status() != 202) {
        return null;
      }
      loc = p.location();
    }
    return loc;
  }

  /** Starts an upload, sends part of the data, and never finishes it. */
  private static void abandonUpload(RegistryClient client, String repo, byte[] data, Random rnd, Ledger ledger) {
    ledger.abandonedUploads.add(new BlobRef(repo, Digests.sha256(data), data.length));
    patchChunks(client, repo, data, data.length / 2 + rnd.nextInt(data.length / 2), rnd, ledger);
  }

  // ------------------------------------------------------------------------------------------

  private static void verify(RegistryClient client, Ledger ledger, String when) {
    assertEquals(200, client.get(RegistryProcess.readinessPath()).status(), "/readyz " + when);
    List<String> problems = new ArrayList<>();

    for (BlobRef b : ledger.ackedBlobs) {
      Response r = client.get("/v2/" + b.repo() + "/blobs/" + b.digest());
      if (r.status() != 200) {
        problems.add("acknowledged blob " + b + " answers " + r.status());
      } else if (!Digests.sha256(r.body()).equals(b.digest()) || r.body().length != b.size()) {
        problems.add("acknowledged blob " + b + " is served corrupt (" + r.body().length + " bytes, digest "
            + Digests.sha256(r.body()) + ")");
      }
    }
    for (BlobRef b : ledger.attemptedBlobs) {
      if (ledger.ackedBlobs.contains(b)) {
        continue;
      }
      Response r = client.get("/v2/" + b.repo() + "/blobs/" + b.digest());
      if (r.status() == 200 && (!Digests.sha256(r.body()).equals(b.digest()) || r.body().length != b.size())) {
        problems.add("in-flight blob " + b + " is visible but partial (" + r.body().length + " bytes)");
      } else if (r.status() != 200 && r.status() != 404) {
        problems.add("in-flight blob " + b + " answers " + r.status());
      }
    }
    for (BlobRef b : ledger.abandonedUploads) {
      Response r = client.head("/v2/" + b.repo() + "/blobs/" + b.digest());
      if (r.status() != 404) {
        problems.add("an upload that was never finished is visible as blob " + b + ": " + r.status());
      }
    }
    for (ManifestRef m : ledger.ackedManifests) {
      for (String ref : List.of(m.tag(), m.manifest().digest())) {
        Response r = client.get("/v2/" + m.repo() + "/manifests/" + ref, "Accept", Oci.IMAGE_MANIFEST);
        if (r.status() != 200 || !Arrays.equals(r.body(), m.manifest().bytes())) {
          problems.add("acknowledged manifest " + m.repo() + ":" + ref + " answers " + r.status()
              + (r.status() == 200 ? " with different bytes" : ""));
        }
      }
    }
    for (String repo : REPOS) {
      Response tags = client.get("/v2/" + repo + "/tags/list");
      if (tags.status() == 404) {
        continue;
      }
      if (tags.status() != 200) {
        problems.add("tags list of " + repo + " answers " + tags.status());
        continue;
      }
      for (JsonNode t : tags.json().path("tags")) {
        checkComplete(client, repo, t.asText(), problems);
      }
    }
    assertTrue(problems.isEmpty(), () -> problems.size() + " problems " + when + ":\n  "
        + String.join("\n  ", problems.subList(0, Math.min(40, problems.size()))));
  }

  /** A tag must resolve to a manifest whose bytes match its digest and whose blobs all exist. */
  private static void checkComplete(RegistryClient client, String repo, String tag, List<String> problems) {
    Response r = client.get("/v2/" + repo + "/manifests/" + tag, "Accept", Oci.IMAGE_MANIFEST);
    if (r.status() != 200) {
      problems.add("listed tag " + repo + ":" + tag + " answers " + r.status());
      return;
    }
    String digest = r.headerOrNull("Docker-Content-Digest");
    if (digest != null && !digest.equals(Digests.sha256(r.body()))) {
      problems.add("tag " + repo + ":" + tag + " serves bytes that do not match " + digest);
    }
    JsonNode m = r.json();
    List<JsonNode> descriptors = new ArrayList<>();
    descriptors.add(m.path("config"));
    m.path("layers").forEach(descriptors::add);
    for (JsonNode d : descriptors) {
      Response h = client.head("/v2/" + repo + "/blobs/" + d.path("digest").asText());
      if (h.status() != 200 || !String.valueOf(d.path("size").asLong()).equals(h.headerOrNull("Content-Length"))) {
        problems.add("tag " + repo + ":" + tag + " points at a manifest whose blob " + d.path("digest").asText()
            + " answers " + h.status() + " length " + h.headerOrNull("Content-Length"));
      }
    }
  }
}
