package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.ImageTools.layoutBlobs;
import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.ImageTools;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Workspace;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code connected-registry bundle export} on the data folder of a registry that is serving:
 * skopeo reads every tag of the bundle ({@code oci-archive:FILE:REPO:TAG}) into a second registry
 * with the source's digests, and a {@code --since} bundle carries only what changed and only the
 * blobs the target lacks.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class) // the since test pushes one more tag
class BundleExportTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static RegistryProcess source;
  private static RegistryProcess target;
  private static Path work;
  /** repository:tag -> the digest skopeo pushed to the source. */
  private static final Map<String, String> pushed = new LinkedHashMap<>();

  @BeforeAll
  static void registriesWithImages() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "a command of this registry");
    source = RegistryProcess.startFresh("bundle-source");
    target = RegistryProcess.startFresh("bundle-target");
    work = Workspace.dir("bundle-export");
    Path app = work.resolve("app");
    makeImage(app, "v1", "-l", "256K@base", "-l", "32K", "-s", "bundle-v1");
    makeImage(app, "multi", "-a", "amd64,arm64", "-n", "1", "-S", "16K", "-s", "bundle-multi");
    Path tools = work.resolve("tools");
    makeImage(tools, "1.0", "-l", "8K", "-s", "bundle-tools");
    pushed.put("e2e/app:v1", push(app, "v1", "e2e/app:v1"));
    pushed.put("e2e/app:multi", push(app, "multi", "e2e/app:multi"));
    pushed.put("e2e/tools:1.0", push(tools, "1.0", "e2e/tools:1.0"));
  }

  @AfterAll
  static void stop() {
    if (source != null) {
      source.close();
    }
    if (target != null) {
      target.close();
    }
  }

  private static String push(Path layout, String tag, String repositoryAndTag) {
    Path digestFile = work.resolve("digest-" + repositoryAndTag.replace('/', '_').replace(':', '_'));
    skopeo("copy", "--all", "--dest-tls-verify=false", "--digestfile", digestFile.toString(),
        "oci:" + layout + ":" + tag, "docker://" + source.hostPort() + "/" + repositoryAndTag).assertOk();
    try {
      return Files.readString(digestFile).trim();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static Command.Result export(String... args) {
    List<String> all = new ArrayList<>(List.of("bundle", "export", "--data", source.dataDir().toString()));
    all.addAll(List.of(args));
    return RegistryProcess.runJar(120, all.toArray(String[]::new));
  }

  /** sha256 of the manifest the target serves for {@code repositoryAndTag}, as skopeo reads it. */
  private static String targetDigest(String repositoryAndTag) {
    Command.Result raw = skopeo("inspect", "--raw", "--tls-verify=false",
        "docker://" + target.hostPort() + "/" + repositoryAndTag).assertOk();
    return Digests.sha256(raw.stdout().getBytes(StandardCharsets.UTF_8));
  }

  @Test
  @Order(1)
  void aBundleOfARunningRegistry_isReadBySkopeo_tagByTag_withTheSourcesDigests() throws Exception {
    Path bundle = work.resolve("full.tar");
    Command.Result r = export("--repository", "e2e/app", "e2e/tools", "-o", bundle.toString());
    assertEquals(0, r.exitCode(), r::describe);
    assertTrue(source.isAlive(), "the registry kept serving");
    JsonNode summary = JSON.readTree(r.stdout());
    assertEquals(3, summary.get("images").asInt(), r.stdout());

    for (Map.Entry<String, String> tag : pushed.entrySet()) {
      skopeo("copy", "--all", "--dest-tls-verify=false", "oci-archive:" + bundle + ":" + tag.getKey(),
          "docker://" + target.hostPort() + "/copied/" + tag.getKey()).assertOk();
      assertEquals(tag.getValue(), targetDigest("copied/" + tag.getKey()), tag.getKey());
    }
    // The compressed forms too (skopeo's oci-archive decompresses what it reads).
    for (String name : List.of("full.tar.gz", "full.tar.zst")) {
      Path compressed = work.resolve(name);
      assertEquals(0, export("--repository", "e2e/app", "e2e/tools", "-o", compressed.toString()).exitCode());
      Path dir = work.resolve("dir-" + name);
      skopeo("copy", "oci-archive:" + compressed + ":e2e/tools:1.0", "dir:" + dir).assertOk();
      assertEquals(pushed.get("e2e/tools:1.0"), Digests.sha256(dir.resolve("manifest.json")), name);
    }
  }

  @Test
  @Order(2)
  void aSinceBundle_holdsOnlyTheNewTag_andOnlyItsNewBlobs() throws Exception {
    Path full = work.resolve("before.tar.zst");
    assertEquals(0, export("--repository", "e2e/app", "-o", full.toString()).exitCode());

    Path v2 = work.resolve("app-v2");
    makeImage(v2, "v2", "-l", "256K@base", "-l", "4K", "-s", "bundle-v2"); // shares v1's base layer
    String v2Digest = push(v2, "v2", "e2e/app:v2");
    Path since = work.resolve("since.tar");
    Command.Result r = export("--repository", "e2e/app", "--since", full.toString(), "-o", since.toString());
    assertEquals(0, r.exitCode(), r::describe);

    Map<String, byte[]> entries = entries(since);
    JsonNode metadata = JSON.readTree(entries.get("connected-registry-bundle.json"));
    assertEquals(JSON.readTree(entries(full).get("connected-registry-bundle.json")).get("cursor").asLong(),
        metadata.get("since").asLong());
    List<String> refs = new ArrayList<>();
    for (JsonNode d : JSON.readTree(entries.get("index.json")).get("manifests")) {
      refs.add(d.get("annotations").get("org.opencontainers.image.ref.name").asText() + "@" + d.get("digest").asText());
    }
    assertEquals(List.of("e2e/app:v2@" + v2Digest), refs);

    Set<String> v1Blobs = new HashSet<>(layoutBlobs(work.resolve("app")));
    Set<String> newBlobs = new TreeSet<>(layoutBlobs(v2));
    Set<String> shared = new TreeSet<>(newBlobs);
    shared.retainAll(v1Blobs);
    newBlobs.removeAll(v1Blobs);
    assertEquals(1, shared.size(), "v2 shares its base layer with v1: " + shared);
    Set<String> inBundle = new TreeSet<>();
    for (String name : entries.keySet()) {
      if (name.startsWith("blobs/sha256/")) {
        inBundle.add("sha256:" + name.substring("blobs/sha256/".length()));
      }
    }
    assertEquals(newBlobs, inBundle, "v2's manifest, config and new layer: nothing the target has");
    List<String> omitted = new ArrayList<>();
    metadata.get("omittedBlobs").forEach(d -> omitted.add(d.asText()));
    assertEquals(new ArrayList<>(shared), omitted);
    assertFalse(inBundle.contains(shared.iterator().next()));
  }

  private static Map<String, byte[]> entries(Path bundle) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (InputStream in = Files.newInputStream(bundle);
        TarArchiveInputStream tar = new TarArchiveInputStream(
            io.connectedregistry.bundle.Compression.decompressed(in))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        out.put(e.getName(), tar.readAllBytes());
      }
    }
    return out;
  }
}
