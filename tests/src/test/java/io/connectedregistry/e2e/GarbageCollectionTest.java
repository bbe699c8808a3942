package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.body;
import static io.connectedregistry.e2e.support.Expect.status;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.Oci;
import io.connectedregistry.e2e.support.Oci.Blob;
import io.connectedregistry.e2e.support.Oci.Manifest;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The {@code gc} subcommand on a stopped registry's data folder: what no manifest references is
 * reclaimed (after the grace period), what is referenced — directly, through an index, or from
 * another repository — stays and is served intact.
 */
class GarbageCollectionTest {

  private static final int MIB = 1024 * 1024;
  private RegistryProcess registry;

  @AfterEach
  void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void gcReclaimsWhatNoManifestReferencesAfterAManifestDeleteAndKeepsWhatIsReferenced() {
    registry = RegistryProcess.startFresh("gc");
    RegistryClient client = new RegistryClient(registry);
    String repo = "gc/app";
    String other = "gc/other";

    Blob shared = Oci.layer(1, 512 * 1024);
    Blob onlyA = Oci.layer(2, 2 * MIB);
    Blob configA = Oci.config("gc-a");
    Blob configB = Oci.config("gc-b");
    Blob orphan = Oci.layer(3, MIB); // pushed, never referenced by any manifest
    Blob configC = Oci.config("gc-c");
    Blob layerC = Oci.layer(4, 4096);
    Blob cross = Oci.layer(5, 300 * 1024);
    Blob configE = Oci.config("gc-e");
    Blob configF = Oci.config("gc-f");
    for (Blob b : List.of(shared, onlyA, configA, configB, orphan, configC, layerC, cross, configE)) {
      client.pushBlob(repo, b.data());
    }
    client.pushBlob(other, configF.data());
    status(client.post("/v2/" + other + "/blobs/uploads/?mount=" + RegistryClient.encode(cross.digest())
        + "&from=" + RegistryClient.encode(repo), new byte[0]), 201);

    Manifest a = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(configA, shared, onlyA));
    Manifest b = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(configB, shared));
    Manifest c = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(configC, layerC));
    Manifest index = Oci.manifest(Oci.IMAGE_INDEX, Oci.imageIndex(c));
    Manifest e = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(configE, cross));
    Manifest f = Oci.manifest(Oci.IMAGE_MANIFEST, Oci.imageManifest(configF, cross));
    client.pushManifest(repo, "a", a.mediaType(), a.bytes());
    client.pushManifest(repo, "b", b.mediaType(), b.bytes());
    client.pushManifest(repo, c.digest(), c.mediaType(), c.bytes()); // untagged, kept alive by the index
    client.pushManifest(repo, "multi", index.mediaType(), index.bytes());
    client.pushManifest(repo, "e", e.mediaType(), e.bytes());
    client.pushManifest(other, "f", f.mediaType(), f.bytes());

    status(client.delete("/v2/" + repo + "/manifests/" + a.digest()), 202);
    status(client.delete("/v2/" + repo + "/manifests/" + e.digest()), 202);

    // 1. with the default grace (PT1H) everything just pushed is still young: nothing goes
    registry.stop();
    Command.Result young = registry.runGc();
    assertTrue(young.ok(), young::describe);
    registry.start();
    client = new RegistryClient(registry);
    status(client.head("/v2/" + repo + "/blobs/" + onlyA.digest()), 200);
    status(client.head("/v2/" + repo + "/blobs/" + orphan.digest()), 200);

    // 2. with --grace PT0S the unreferenced blobs are reclaimed, on disk too
    registry.stop();
    long before = sizeOf(registry.dataDir());
    Command.Result gc = registry.runGc("--grace", "PT0S");
    assertTrue(gc.ok(), gc::describe);
    assertFalse(gc.stdout().isBlank() && gc.stderr().isBlank(), () -> "gc should print a summary: " + gc.describe());
    long after = sizeOf(registry.dataDir());
    registry.start();
    RegistryClient c2 = new RegistryClient(registry);

    List<Executable> checks = new ArrayList<>();
    checks.add(() -> status(c2.head("/v2/" + repo + "/blobs/" + onlyA.digest()), 404));
    checks.add(() -> status(c2.head("/v2/" + repo + "/blobs/" + configA.digest()), 404));
    checks.add(() -> status(c2.head("/v2/" + repo + "/blobs/" + orphan.digest()), 404));
    checks.add(() -> status(c2.head("/v2/" + repo + "/manifests/" + a.digest()), 404));
    checks.add(() -> body(c2.get("/v2/" + repo + "/blobs/" + shared.digest()), shared.data()));
    checks.add(() -> body(c2.get("/v2/" + repo + "/blobs/" + configB.digest()), configB.data()));
    checks.add(() -> body(c2.get("/v2/" + repo + "/manifests/b", "Accept", Oci.IMAGE_MANIFEST), b.bytes()));
    checks.add(() -> body(c2.get("/v2/" + repo + "/manifests/multi", "Accept", Oci.IMAGE_INDEX), index.bytes()));
    checks.add(() -> body(c2.get("/v2/" + repo + "/manifests/" + c.digest(), "Accept", Oci.IMAGE_MANIFEST), c.bytes()));
    checks.add(() -> body(c2.get("/v2/" + repo + "/blobs/" + layerC.digest()), layerC.data()));
    checks.add(() -> body(c2.get("/v2/" + other + "/blobs/" + cross.digest()), cross.data()));
    checks.add(() -> body(c2.get("/v2/" + other + "/manifests/f", "Accept", Oci.IMAGE_MANIFEST), f.bytes()));
    long reclaimable = onlyA.size() + orphan.size();
    checks.add(() -> assertTrue(before - after >= reclaimable * 9 / 10,
        "the data folder should shrink by about " + reclaimable + " bytes but went from " + before + " to " + after));
    assertAll("after gc --grace PT0S", checks.stream());
  }

  private static long sizeOf(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void gcOnAnEmptyDataFolderSucceeds() {
    registry = RegistryProcess.startFresh("gc-empty");
    registry.stop();

    Command.Result gc = registry.runGc("--grace", "PT0S");

    assertEquals(0, gc.exitCode(), gc::describe);
    registry.start();
    status(new RegistryClient(registry).get("/v2/"), 200);
  }
}
