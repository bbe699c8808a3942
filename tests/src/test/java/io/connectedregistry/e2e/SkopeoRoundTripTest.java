package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.header;
import static io.connectedregistry.e2e.support.Expect.mediaType;
import static io.connectedregistry.e2e.support.Expect.status;
import static io.connectedregistry.e2e.support.ImageTools.layoutBlobs;
import static io.connectedregistry.e2e.support.ImageTools.layoutDigest;
import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.ImageTools;
import io.connectedregistry.e2e.support.Oci;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import io.connectedregistry.e2e.support.Workspace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real images (written by make-image.sh) pushed with skopeo and pulled back into a new OCI
 * layout: the digests after the round trip must equal the source's, byte for byte.
 */
class SkopeoRoundTripTest {

  private static RegistryProcess registry;
  private static RegistryClient client;
  private static Path work;

  @BeforeAll
  static void startRegistry() {
    registry = RegistryProcess.startFresh("skopeo");
    client = new RegistryClient(registry);
    work = Workspace.dir("skopeo");
  }

  @AfterAll
  static void stopRegistry() {
    if (registry != null) {
      registry.close();
    }
  }

  private static String docker(String repoAndTag) {
    return "docker://" + registry.hostPort() + "/" + repoAndTag;
  }

  /** sha256 of what the registry serves for the reference, as skopeo reads it. */
  private static String remoteDigest(String repoAndTag) {
    Command.Result raw = skopeo("inspect", "--raw", "--tls-verify=false", docker(repoAndTag)).assertOk();
    return Digests.sha256(raw.stdout().getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aSingleArchImageRoundTripsWithTheSameDigests() {
    Path src = work.resolve("single");
    String digest = makeImage(src, "v1", "-l", "4K", "-l", "512K", "-s", "single");

    skopeo("copy", "--dest-tls-verify=false", "oci:" + src + ":v1", docker("skopeo/single:v1")).assertOk();

    assertEquals(digest, remoteDigest("skopeo/single:v1"));
    Response head = status(client.head("/v2/skopeo/single/manifests/v1", "Accept", Oci.IMAGE_MANIFEST), 200);
    header(head, "Docker-Content-Digest", digest);
    Path back = work.resolve("single-back");
    skopeo("copy", "--src-tls-verify=false", docker("skopeo/single:v1"), "oci:" + back + ":v1").assertOk();
    assertEquals(digest, layoutDigest(back, "v1"));
    assertEquals(layoutBlobs(src), layoutBlobs(back), "the pulled layout holds exactly the source's blobs");
    ImageTools.assertLayoutIntact(back);
  }

  @Test
  void aMultiArchIndexRoundTripsWithCopyAll() {
    Path src = work.resolve("multi");
    String digest = makeImage(src, "multi", "-a", "amd64,arm64", "-n", "2", "-S", "64K", "-s", "multi");

    skopeo("copy", "--all", "--dest-tls-verify=false", "oci:" + src + ":multi", docker("skopeo/multi:v1")).assertOk();

    assertEquals(digest, remoteDigest("skopeo/multi:v1"));
    Response get = status(client.get("/v2/skopeo/multi/manifests/v1", "Accept", Oci.IMAGE_INDEX), 200);
    assertEquals(Oci.IMAGE_INDEX, mediaType(get));
    for (JsonNode child : get.json().path("manifests")) {
      String childDigest = child.path("digest").asText();
      assertEquals(childDigest, remoteDigest("skopeo/multi@" + childDigest), "child manifest served byte-exact");
    }
    Path back = work.resolve("multi-back");
    skopeo("copy", "--all", "--src-tls-verify=false", docker("skopeo/multi:v1"), "oci:" + back + ":multi").assertOk();
    assertEquals(digest, layoutDigest(back, "multi"));
    assertEquals(layoutBlobs(src), layoutBlobs(back), "both architectures' manifests, configs and layers came back");
    ImageTools.assertLayoutIntact(back);
  }

  @Test
  void aLayerSharedByTwoRepositoriesIsMountedNotUploadedAgain() {
    Path a = work.resolve("shared-a");
    Path b = work.resolve("shared-b");
    String digestA = makeImage(a, "a", "-l", "1M@base", "-l", "16K", "-s", "shared-a");
    String digestB = makeImage(b, "b", "-l", "1M@base", "-l", "16K", "-s", "shared-b");
    Set<String> common = new HashSet<>(layoutBlobs(a));
    common.retainAll(layoutBlobs(b));
    assertEquals(1, common.size(), "the two images share exactly the base layer: " + common);
    String base = common.iterator().next();

    skopeo("copy", "--dest-tls-verify=false", "oci:" + a + ":a", docker("skopeo/shared-one:a")).assertOk();
    Command.Result second = skopeo("--debug", "copy", "--dest-tls-verify=false", "oci:" + b + ":b",
        docker("skopeo/shared-two:b")).assertOk();

    String log = second.stdout() + second.stderr();
    assertTrue(log.contains("Skipping blob " + base), () -> "the second push should mount (or skip) the shared layer "
        + base + " instead of uploading it; skopeo said:\n" + grep(log, base));
    assertTrue(log.contains("mount OK"), () -> "skopeo should have mounted from skopeo/shared-one:\n" + grep(log, base));
    status(client.head("/v2/skopeo/shared-two/blobs/" + base), 200);
    assertEquals(digestA, remoteDigest("skopeo/shared-one:a"));
    assertEquals(digestB, remoteDigest("skopeo/shared-two:b"));
    Path back = work.resolve("shared-b-back");
    skopeo("copy", "--src-tls-verify=false", docker("skopeo/shared-two:b"), "oci:" + back + ":b").assertOk();
    assertEquals(digestB, layoutDigest(back, "b"));
    assertEquals(layoutBlobs(b), layoutBlobs(back));
    ImageTools.assertLayoutIntact(back);
  }

  private static String grep(String log, String needle) {
    StringBuilder sb = new StringBuilder();
    for (String line : log.split("\n")) {
      if (line.contains(needle.substring(7, 19)) || line.contains("mount")) {
        sb.append(line).append('\n');
      }
    }
    return sb.toString();
  }

  @Test
  void aDockerSchema2ImageRoundTripsWithTheSameDigests() throws IOException {
    Path src = work.resolve("v2s2");
    makeImage(src, "v1", "-l", "8K", "-l", "256K", "-s", "v2s2");
    Path digestFile = work.resolve("v2s2.digest");

    skopeo("copy", "--format", "v2s2", "--digestfile", digestFile.toString(), "--dest-tls-verify=false",
        "oci:" + src + ":v1", docker("skopeo/docker:v1")).assertOk();

    String pushed = Files.readString(digestFile).trim();
    assertEquals(pushed, remoteDigest("skopeo/docker:v1"));
    Response get = status(client.get("/v2/skopeo/docker/manifests/v1", "Accept", Oci.DOCKER_MANIFEST), 200);
    assertEquals(Oci.DOCKER_MANIFEST, mediaType(get), () -> "Content-Type: " + get);
    header(get, "Docker-Content-Digest", pushed);
    Path back = work.resolve("v2s2-back");
    skopeo("copy", "--src-tls-verify=false", docker("skopeo/docker:v1"), "dir:" + back).assertOk();
    assertEquals(pushed, Digests.sha256(back.resolve("manifest.json")), "the pulled manifest is the pushed one");
    JsonNode manifest = ImageTools.readJson(back.resolve("manifest.json"));
    assertEquals(Oci.DOCKER_MANIFEST, manifest.path("mediaType").asText());
    Set<String> layers = new TreeSet<>();
    manifest.path("layers").forEach(l -> layers.add(l.path("digest").asText()));
    layers.add(manifest.path("config").path("digest").asText());
    for (String d : layers) {
      Path f = back.resolve(d.substring("sha256:".length()));
      assertTrue(Files.exists(f), "pulled blob " + d);
      assertEquals(d, Digests.sha256(f));
    }
    assertTrue(layoutBlobs(src).containsAll(layers), "layers and config are the source's, unchanged");
  }

  @Test
  void anImageWithUncompressedLayersRoundTripsWithPreservedDigests() {
    Path src = work.resolve("raw");
    String digest = makeImage(src, "v1", "-l", "32K", "-l", "8K", "-s", "raw", "-z", "none");

    skopeo("copy", "--preserve-digests", "--dest-tls-verify=false", "oci:" + src + ":v1", docker("skopeo/raw:v1"))
        .assertOk();

    assertEquals(digest, remoteDigest("skopeo/raw:v1"));
    Path back = work.resolve("raw-back");
    skopeo("copy", "--src-tls-verify=false", "--dest-oci-accept-uncompressed-layers", docker("skopeo/raw:v1"),
        "oci:" + back + ":v1").assertOk();
    assertEquals(digest, layoutDigest(back, "v1"));
    assertEquals(layoutBlobs(src), layoutBlobs(back));
  }
}
