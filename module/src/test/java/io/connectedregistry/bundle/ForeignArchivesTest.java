package io.connectedregistry.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.oci.Digest;
import io.connectedregistry.oci.Reference;
import io.connectedregistry.oci.RegistryException;
import io.connectedregistry.storage.ChangeOrigin;
import io.connectedregistry.storage.LocalRegistryStorage;
import io.connectedregistry.storage.StoredManifest;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Archives other tools write, made here by skopeo from images {@code make-image.sh} builds:
 * {@code oci-archive:} (ref.name is just the tag: the repository must be given) and
 * {@code docker-archive:} (RepoTags with the registry host dropped; the manifest is built here).
 */
class ForeignArchivesTest {
  @TempDir Path work;
  @TempDir Path data;
  LocalRegistryStorage storage;

  @BeforeEach
  void open() throws IOException {
    storage = LocalRegistryStorage.open(data, LocalRegistryStorage.Options.defaults());
    Files.writeString(work.resolve("policy.json"), "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
  }

  @AfterEach
  void close() {
    storage.close();
  }

  @Test
  void anOciArchiveWithOnlyATagNeedsTheRepositoryAndKeepsEveryDigest() throws Exception {
    Digest made = makeImage("oci", "v1", "-l", "3K", "-l", "5K", "-s", "foreign-oci");
    Path archive = work.resolve("img.tar");
    run("skopeo", "--policy", "policy.json", "copy", "-q", "oci:oci:v1", "oci-archive:" + archive + ":v1");

    RegistryException missing = assertThrows(RegistryException.class, () -> importFile(archive, null));
    assertTrue(missing.detail().contains("--repository R"), missing.detail());
    assertEquals(List.of(), BundleImporterTest.files(storage.paths().uploadsRoot()));

    BundleImporter.Result result = importFile(archive, "site/app");
    assertEquals("oci-layout", result.format());
    assertEquals(made, storage.manifest("site/app", Reference.parse("v1")).orElseThrow().digest(),
        "the image keeps the digest it was made with");
    JsonObject manifest = new JsonObject(new String(
        storage.manifest("site/app", Reference.parse("v1")).orElseThrow().bytes()));
    for (Object layer : manifest.getJsonArray("layers")) {
      Digest digest = Digest.parse(((JsonObject) layer).getString("digest"));
      assertEquals(((JsonObject) layer).getLong("size"), storage.blobSize("site/app", digest).orElseThrow());
    }
  }

  @Test
  void aMultiArchitectureOciArchiveIsImportedWhole() throws Exception {
    Digest made = makeImage("multi", "v2", "-a", "amd64,arm64", "-l", "2K", "-s", "foreign-multi");
    Path archive = work.resolve("multi.tar");
    run("skopeo", "--policy", "policy.json", "copy", "-q", "--all", "oci:multi:v2", "oci-archive:" + archive + ":v2");

    importFile(archive, "site/multi");

    StoredManifest index = storage.manifest("site/multi", Reference.parse("v2")).orElseThrow();
    assertEquals(made, index.digest());
    for (Object child : new JsonObject(new String(index.bytes())).getJsonArray("manifests")) {
      Digest digest = Digest.parse(((JsonObject) child).getString("digest"));
      assertTrue(storage.manifest("site/multi", new Reference(null, digest)).isPresent(), "child " + digest);
    }
  }

  @Test
  void aDockerArchiveIsImportedUnderItsRepoTagWithoutTheHost() throws Exception {
    makeImage("docker", "v1", "-l", "4K", "-s", "foreign-docker");
    Path archive = work.resolve("docker.tar");
    run("skopeo", "--policy", "policy.json", "copy", "-q", "oci:docker:v1",
        "docker-archive:" + archive + ":localhost/app/x:v1");

    BundleImporter.Result result = importFile(archive, null);

    assertEquals("docker-archive", result.format());
    StoredManifest stored = storage.manifest("app/x", Reference.parse("v1")).orElseThrow();
    JsonObject manifest = new JsonObject(new String(stored.bytes()));
    assertEquals("application/vnd.oci.image.manifest.v1+json", manifest.getString("mediaType"));
    JsonObject layer = manifest.getJsonArray("layers").getJsonObject(0);
    assertEquals(DockerArchivePlanner.LAYER_TAR, layer.getString("mediaType"), "docker save layers are plain tar");
    // The layer's digest is its diff_id: the config's rootfs names exactly these bytes.
    Digest config = Digest.parse(manifest.getJsonObject("config").getString("digest"));
    JsonObject configJson = new JsonObject(new String(read("app/x", config)));
    assertEquals(layer.getString("digest"), configJson.getJsonObject("rootfs").getJsonArray("diff_ids").getString(0));
    assertTrue(storage.blobSize("app/x", Digest.parse(layer.getString("digest"))).isPresent());
  }

  @Test
  void aDockerHubNameKeepsItsLibraryPathAndRepositoryOverridesIt() throws Exception {
    makeImage("hub", "1", "-l", "1K", "-s", "foreign-hub");
    Path archive = work.resolve("hub.tar");
    run("skopeo", "--policy", "policy.json", "copy", "-q", "oci:hub:1", "docker-archive:" + archive + ":busybox:1");

    importFile(archive, null);
    assertTrue(storage.manifest("library/busybox", Reference.parse("1")).isPresent(), "docker.io/library/busybox:1");

    importFile(archive, "site/busybox");
    assertTrue(storage.manifest("site/busybox", Reference.parse("1")).isPresent());
  }

  BundleImporter.Result importFile(Path archive, String repository) throws IOException {
    BundleImporter importer = new BundleImporter(storage,
        new BundleImporter.Options(repository, ChangeOrigin.CLIENT, true, BundleLimits.DEFAULT));
    try (InputStream in = Files.newInputStream(archive);
        BundleImporter.Staged staged = importer.stage(in)) {
      return staged.apply(null);
    }
  }

  Digest makeImage(String layout, String tag, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(tool("make-image.sh").toString(), "-o", work.resolve(layout).toString(),
        "-t", tag, "-q"));
    cmd.addAll(List.of(args));
    return Digest.parse(run(cmd.toArray(String[]::new)).trim());
  }

  byte[] read(String repository, Digest digest) {
    return BundleImporterTest.read(storage, repository, digest);
  }

  static Path tool(String name) {
    String configured = System.getProperty("shared.tools");
    Path tools = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath().resolve("../../shared/tools");
    return tools.normalize().resolve(name);
  }

  String run(String... cmd) throws Exception {
    Path out = Files.createTempFile(work, "cmd", ".out");
    Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(out.toFile()).start();
    boolean done = p.waitFor(120, TimeUnit.SECONDS);
    if (!done) {
      p.destroyForcibly();
    }
    String output = Files.readString(out);
    assertEquals(0, done ? p.exitValue() : -1, String.join(" ", cmd) + " failed: " + output);
    return output;
  }
}
