package io.connectedregistry.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.bundle.DockerArchive.Blob;
import io.connectedregistry.bundle.DockerArchive.Image;
import io.connectedregistry.bundle.DockerArchive.Reference;
import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Manifest;
import io.connectedregistry.oci.ManifestParser;
import io.connectedregistry.oci.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading {@code docker save} archives: skopeo's real output, and hand-made ones in other shapes. */
class DockerArchiveTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;
  @TempDir Path staging;

  @Test
  void skopeosDockerArchive_yieldsTheImageWithItsConfigAndLayers() throws Exception {
    Path layout = work.resolve("layout");
    run(List.of(tool("make-image.sh").toString(), "-o", layout.toString(), "-t", "v1", "-q", "-z", "none",
        "-l", "8K", "-l", "64K", "-s", "docker-archive"));
    Path archive = work.resolve("saved.tar");
    Path policy = work.resolve("policy.json");
    Files.writeString(policy, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
    run(List.of("skopeo", "--policy", policy.toString(), "copy", "-q", "--additional-tag", "localhost/app:also",
        "oci:" + layout + ":v1", "docker-archive:" + archive + ":docker.io/library/app:v1"));
    JsonNode source = JSON.readTree(blob(layout, JSON.readTree(layout.resolve("index.json").toFile())
        .get("manifests").get(0).get("digest").asText()));

    try (InputStream in = Files.newInputStream(archive);
        DockerArchive read = DockerArchive.read(in, staging, TransferListener.NONE)) {
      assertEquals(1, read.images().size());
      Image image = read.images().get(0);
      assertEquals(List.of(new Reference("library/app", "v1"), new Reference("app", "also")), image.references());
      assertEquals(source.get("config").get("digest").asText(), image.config().digest().toString(),
          "the config's bytes are kept, so its digest is the source's");
      List<String> sourceLayers = new ArrayList<>();
      source.get("layers").forEach(l -> sourceLayers.add(l.get("digest").asText()));
      assertEquals(sourceLayers, image.layers().stream().map(b -> b.digest().toString()).toList(),
          "uncompressed layers keep their digests");
      for (Blob blob : image.layers()) {
        assertEquals(blob.digest(), Digest.sha256(Files.readAllBytes(blob.file())), "staged bytes match");
        assertEquals(Files.size(blob.file()), blob.size());
        assertEquals("application/vnd.oci.image.layer.v1.tar", blob.mediaType());
        assertTrue(blob.file().startsWith(staging), "staged where the caller asked: " + blob.file());
      }
      Manifest manifest = ManifestParser.parse(image.manifest(), MediaTypes.OCI_MANIFEST, "sha256");
      assertEquals(image.manifestDigest(), manifest.digest());
      assertEquals(3, manifest.blobs().size());
      assertEquals(image.config().digest(), manifest.blobs().get(0).digest());
    }
    try (Stream<Path> left = Files.list(staging)) {
      assertEquals(0, left.count(), "close removes the work folder");
    }
  }

  @Test
  void legacyLayout_manifestFirst_linksAndCompressedLayers_areRead() throws Exception {
    byte[] layer1 = "uncompressed layer one".getBytes(StandardCharsets.UTF_8);
    byte[] layer2 = gzip("a gzip layer");
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
        + Digest.sha256(layer1) + "\",\"" + Digest.sha256("a gzip layer".getBytes()) + "\"]}}")
        .getBytes(StandardCharsets.UTF_8);
    String manifestJson = "[{\"Config\":\"" + Digest.sha256(config).hex() + ".json\","
        + "\"RepoTags\":[\"registry.example.com:5000/team/tool:2.1\",\"<none>:<none>\"],"
        + "\"Layers\":[\"aaaa/layer.tar\",\"./bbbb/layer.tar\"]},"
        + "{\"Config\":\"" + Digest.sha256(config).hex() + ".json\",\"RepoTags\":null,\"Layers\":[\"aaaa/layer.tar\","
        + "\"cccc/layer.tar\"]}]";
    byte[] archive = tar(
        file("manifest.json", manifestJson.getBytes(StandardCharsets.UTF_8)), // first, as older docker wrote it
        file("aaaa/layer.tar", layer1),
        symlink("bbbb/layer.tar", "../layer2.tar"),
        file("layer2.tar", layer2),
        hardLink("cccc/layer.tar", "layer2.tar"),
        file(Digest.sha256(config).hex() + ".json", config),
        file("repositories", "{}".getBytes()));
    try (DockerArchive read = DockerArchive.read(new ByteArrayInputStream(gzip(archive)), staging,
        TransferListener.NONE)) {
      assertEquals(2, read.images().size());
      Image first = read.images().get(0);
      assertEquals(List.of(new Reference("team/tool", "2.1")), first.references());
      assertEquals(List.of(Digest.sha256(layer1), Digest.sha256(layer2)),
          first.layers().stream().map(Blob::digest).toList());
      assertEquals("application/vnd.oci.image.layer.v1.tar+gzip", first.layers().get(1).mediaType());
      assertEquals(List.of(), read.images().get(1).references(), "an untagged image has no reference");
      assertEquals(first.layers().get(1).file(), read.images().get(1).layers().get(1).file(),
          "the same bytes are staged once");
    }
  }

  @Test
  void docker25Layout_blobsNamedByDigest_isRead() throws Exception {
    byte[] layer = "a layer in blobs/sha256".getBytes(StandardCharsets.UTF_8);
    byte[] config = ("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + Digest.sha256(layer) + "\"]}}")
        .getBytes(StandardCharsets.UTF_8);
    String configPath = "blobs/sha256/" + Digest.sha256(config).hex();
    String layerPath = "blobs/sha256/" + Digest.sha256(layer).hex();
    byte[] archive = tar(file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes()),
        file(configPath, config), file(layerPath, layer),
        file("index.json", "{\"schemaVersion\":2,\"manifests\":[]}".getBytes()),
        file("manifest.json", ("[{\"Config\":\"" + configPath + "\",\"RepoTags\":[\"team/app:3\"],\"Layers\":[\""
            + layerPath + "\"]}]").getBytes(StandardCharsets.UTF_8)));
    try (DockerArchive read = read(archive)) {
      Image image = read.images().get(0);
      assertEquals(List.of(new Reference("team/app", "3")), image.references());
      assertEquals(Digest.sha256(config), image.config().digest());
      assertEquals(List.of(Digest.sha256(layer)), image.layers().stream().map(Blob::digest).toList());
    }
  }

  @Test
  void aLayerThatDiffersFromTheConfig_isRefusedNamingIt() throws Exception {
    byte[] layer = "the layer".getBytes(StandardCharsets.UTF_8);
    byte[] config = ("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + Digest.sha256("another layer".getBytes())
        + "\"]}}").getBytes(StandardCharsets.UTF_8);
    byte[] archive = tar(file("c.json", config), file("l/layer.tar", layer),
        file("manifest.json", "[{\"Config\":\"c.json\",\"RepoTags\":[\"app:1\"],\"Layers\":[\"l/layer.tar\"]}]"
            .getBytes(StandardCharsets.UTF_8)));
    BundleException e = assertThrows(BundleException.class,
        () -> DockerArchive.read(new ByteArrayInputStream(archive), staging, TransferListener.NONE));
    assertTrue(e.getMessage().contains("layer 1 of [app:1] has digest " + Digest.sha256(layer)), e.getMessage());
    assertWorkFolderRemoved();
  }

  @Test
  void aFileWhoseNameIsADigestItDoesNotHave_isRefused() throws Exception {
    String wrong = "0".repeat(64);
    byte[] archive = tar(file(wrong + ".json", "{}".getBytes()),
        file("manifest.json", ("[{\"Config\":\"" + wrong + ".json\",\"RepoTags\":[\"app:1\"],\"Layers\":[]}]")
            .getBytes(StandardCharsets.UTF_8)));
    BundleException e = assertThrows(BundleException.class,
        () -> DockerArchive.read(new ByteArrayInputStream(archive), staging, TransferListener.NONE));
    assertTrue(e.getMessage().contains(wrong + ".json has digest " + Digest.sha256("{}".getBytes())), e.getMessage());
  }

  @Test
  void missingFiles_linksOutside_andNoManifest_areRefused() throws Exception {
    byte[] noLayer = tar(file("c.json", "{}".getBytes()),
        file("manifest.json", "[{\"Config\":\"c.json\",\"RepoTags\":[\"app:1\"],\"Layers\":[\"gone.tar\"]}]"
            .getBytes(StandardCharsets.UTF_8)));
    assertEquals("manifest.json names the layer gone.tar, which the archive does not hold",
        assertThrows(BundleException.class, () -> read(noLayer)).getMessage());

    byte[] escaping = tar(file("c.json", "{}".getBytes()), symlink("l/layer.tar", "../../../etc/passwd"),
        file("manifest.json", "[{\"Config\":\"c.json\",\"RepoTags\":[\"app:1\"],\"Layers\":[\"l/layer.tar\"]}]"
            .getBytes(StandardCharsets.UTF_8)));
    assertTrue(assertThrows(BundleException.class, () -> read(escaping)).getMessage()
        .contains("points outside the archive"));

    byte[] noManifest = tar(file("c.json", "{}".getBytes()));
    assertEquals("not a docker archive: it has no manifest.json",
        assertThrows(BundleException.class, () -> read(noManifest)).getMessage());

    byte[] badTag = tar(file("c.json", "{}".getBytes()),
        file("manifest.json", "[{\"Config\":\"c.json\",\"RepoTags\":[\"Bad/Name:1\"],\"Layers\":[]}]"
            .getBytes(StandardCharsets.UTF_8)));
    assertTrue(assertThrows(BundleException.class, () -> read(badTag)).getMessage()
        .contains("RepoTags entry Bad/Name:1 is not a valid repository and tag"));
    assertWorkFolderRemoved();
  }

  @Test
  void repoTags_dropTheRegistryHostOnly() {
    assertEquals(new Reference("library/x", "1"), DockerArchive.reference("docker.io/library/x:1"));
    assertEquals(new Reference("app", "latest"), DockerArchive.reference("localhost/app:latest"));
    assertEquals(new Reference("a/b", "v"), DockerArchive.reference("localhost:5000/a/b:v"));
    assertEquals(new Reference("team/app", "v"), DockerArchive.reference("team/app:v"));
    assertEquals(new Reference("app", "v"), DockerArchive.reference("app:v"));
    assertNull(DockerArchive.reference("<none>:<none>"));
    assertThrows(BundleException.class, () -> DockerArchive.reference("localhost:5000/app"));
  }

  @Test
  void namesAreNormalizedInsideTheArchive() {
    assertEquals("a/c", DockerArchive.normalize("./a//b/../c"));
    assertNull(DockerArchive.normalize("../x"));
    assertNull(DockerArchive.normalize("/etc/passwd"));
    assertNull(DockerArchive.normalize("a/../../x"));
  }

  // ---- helpers ----

  private DockerArchive read(byte[] archive) {
    return DockerArchive.read(new ByteArrayInputStream(archive), staging, TransferListener.NONE);
  }

  private void assertWorkFolderRemoved() throws IOException {
    try (Stream<Path> left = Files.list(staging)) {
      assertFalse(left.findAny().isPresent(), "a failed read leaves no staged file");
    }
  }

  private record Entry(String name, byte[] bytes, String link, byte type) {}

  private static Entry file(String name, byte[] bytes) {
    return new Entry(name, bytes, null, TarArchiveEntry.LF_NORMAL);
  }

  private static Entry symlink(String name, String target) {
    return new Entry(name, null, target, TarArchiveEntry.LF_SYMLINK);
  }

  private static Entry hardLink(String name, String target) {
    return new Entry(name, null, target, TarArchiveEntry.LF_LINK);
  }

  private static byte[] tar(Entry... entries) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
      for (Entry e : entries) {
        TarArchiveEntry entry = e.link() == null ? new TarArchiveEntry(e.name()) : new TarArchiveEntry(e.name(), e.type());
        if (e.link() != null) {
          entry.setLinkName(e.link());
        } else {
          entry.setSize(e.bytes().length);
        }
        tar.putArchiveEntry(entry);
        if (e.bytes() != null) {
          tar.write(e.bytes());
        }
        tar.closeArchiveEntry();
      }
    }
    return out.toByteArray();
  }

  private static byte[] gzip(String text) throws IOException {
    return gzip(text.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GzipCompressorOutputStream gz = new GzipCompressorOutputStream(out)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  private static byte[] blob(Path layout, String digest) throws IOException {
    return Files.readAllBytes(layout.resolve("blobs/sha256").resolve(digest.substring("sha256:".length())));
  }

  /** The shared tools folder: {@code -Dshared.tools}, else {@code ../../shared/tools} from {@code module/}. */
  private static Path tool(String name) {
    String configured = System.getProperty("shared.tools");
    Path tools = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath().resolve("../../shared/tools");
    return tools.normalize().resolve(name);
  }

  private static void run(List<String> command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", command) + " timed out");
    assertEquals(0, p.exitValue(), String.join(" ", command) + " failed: " + output);
  }
}
