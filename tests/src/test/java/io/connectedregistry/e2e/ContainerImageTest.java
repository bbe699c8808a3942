package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.ImageTools;
import io.connectedregistry.e2e.support.Repository;
import io.connectedregistry.e2e.support.Workspace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Dockerfile.amd64, built and run for real: buildah builds it (both stages, Maven included) on
 * base images made on this machine from Debian's own packages (tests/src/test/sh/java-base-rootfs.sh:
 * a JDK 17 with Maven and busybox for the build stage, libc6 and the Java 17 JRE for the runtime),
 * imported with podman; podman runs it; skopeo pushes an image into it and pulls it back.
 *
 * <p>No network: the build stage runs Maven offline (MAVEN_FLAGS=-o) on this machine's Maven
 * repository, mounted read-only at /root/.m2/repository, with the build's network off (--network
 * none). So the Dockerfile's Maven stage itself is what builds the jar here, not a jar slipped in
 * from outside. The base images are kept in a private image store under tests/target/container-image,
 * tagged with a hash of the script, so only the first run makes them. Everything podman and buildah
 * do here uses that store and the shared containers.conf (host network, runc): the machine's own
 * images are never touched. The registry in the container listens on 127.0.0.1 only.
 *
 * <p>Skipped, saying why, only when podman or buildah is missing or cannot run here.
 */
@Order(5) // among the longest classes: started first (tests/pom.xml)
class ContainerImageTest {

  private static final String IMAGE = "localhost/connected-registry:image-test";
  private static final String ROOTFS_SCRIPT = "tests/src/test/sh/java-base-rootfs.sh";

  private static String unavailable;
  private static Path store;
  /** Podman's run state: a short path (podman refuses one over 50 characters), fixed for the store. */
  private static Path runRoot;
  private static String storageDriver;
  private static String container;
  private static int port;

  @BeforeAll
  static void buildAndRun() throws IOException {
    if (!Command.available("podman", "--version") || !Command.available("buildah", "--version")) {
      unavailable = "podman or buildah is not installed (apt-get install -y podman buildah runc)";
      return;
    }
    store = Repository.root().resolve("tests/target/container-image");
    Files.createDirectories(store);
    runRoot = Path.of("/tmp", "crimg-" + Digests.sha256(store.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .substring(7, 15));
    Files.createDirectories(runRoot);
    // overlay is fast; vfs (a full copy per layer) works wherever podman does.
    String why = null;
    for (String driver : List.of("overlay", "vfs")) {
      storageDriver = driver;
      Command.Result info = podman("info");
      if (info.ok()) {
        why = null;
        break;
      }
      why = (why == null ? "" : why + "\n") + "podman does not work here (" + driver + "): " + info.describe();
    }
    if (why != null) {
      unavailable = why;
      return;
    }

    // The store is this test's alone: a container a killed run left behind is removed here.
    podman("rm", "--all", "--force", "--volumes").assertOk();

    String tag = Digests.sha256(Repository.file(ROOTFS_SCRIPT)).substring(7, 19);
    String jdk = baseImage("jdk", tag);
    String jre = baseImage("jre", tag);

    long start = System.nanoTime();
    Command.Result build = containers(600, "buildah", "build",
        "--signature-policy", ImageTools.policy().toString(), "--pull=never", "--format", "docker",
        "--network", "none", "--volume", m2Repository() + ":/root/.m2/repository:ro",
        "--build-arg", "MAVEN_FLAGS=-o", "--build-arg", "BUILD_IMAGE=" + jdk, "--build-arg", "BASE_IMAGE=" + jre,
        "-f", "Dockerfile.amd64", "-t", IMAGE, Repository.root().toString());
    build.assertOk();
    System.out.printf("ContainerImageTest: buildah build of Dockerfile.amd64 took %d s%n",
        (System.nanoTime() - start) / 1_000_000_000L);

    port = freePort();
    container = "cr-image-test-" + port;
    podman("run", "-d", "--name", container, "-e", "REGISTRY_LISTEN=127.0.0.1:" + port, IMAGE).assertOk();
    awaitHealthz();
  }

  @AfterAll
  static void cleanUp() {
    if (container != null) {
      podman("rm", "--force", "--volumes", container);
    }
    if (unavailable == null && store != null) {
      podman("image", "prune", "--force");
    }
  }

  @Test
  void theImageRunsTheRegistryAsANonRootUserWithItsVolumeAndPort() {
    requireContainers();
    JsonNode config = ImageTools.readJson(podman("image", "inspect", "--format", "{{json .Config}}", IMAGE)
        .assertOk().stdout());

    assertEquals("10001:10001", config.path("User").asText());
    assertTrue(config.at("/Volumes").has("/var/acr/data"), config::toString);
    assertTrue(config.at("/ExposedPorts").has("8080/tcp"), config::toString);
    assertTrue(config.path("Env").toString().contains("REGISTRY_LISTEN=0.0.0.0:8080"), config::toString);
    assertTrue(config.path("Env").toString().contains("REGISTRY_DATA=/var/acr/data"), config::toString);
    String processUser = podman("top", container, "user").assertOk().stdout();
    assertTrue(processUser.lines().skip(1).allMatch(l -> l.strip().equals("10001")), processUser);
    String mounts = podman("inspect", "--format", "{{range .Mounts}}{{.Type}} {{.Destination}};{{end}}", container)
        .assertOk().stdout();
    assertTrue(mounts.contains("volume /var/acr/data;"), mounts);
  }

  @Test
  void theImageStartsJavaWithTheSmallDeviceSettings() throws IOException {
    requireContainers();
    JsonNode config = ImageTools.readJson(podman("image", "inspect", "--format", "{{json .Config}}", IMAGE)
        .assertOk().stdout());
    Path copied = store.resolve("small-device.jvmopts");
    Files.deleteIfExists(copied);

    podman("cp", container + ":/opt/connected-registry/small-device.jvmopts", copied.toString()).assertOk();
    String running = podman("top", container, "args").assertOk().stdout()
        + "\nlog:\n" + podman("logs", container).describe();

    assertEquals("[\"java\",\"-jar\",\"/opt/connected-registry/connected-registry.jar\"]",
        config.path("Entrypoint").toString());
    assertTrue(config.path("Env").toString().contains("CONNECTED_REGISTRY_JVM=small-device"), config::toString);
    assertEquals(Files.readString(Repository.file("module/small-device.jvmopts")), Files.readString(copied));
    // The launcher replaced the entrypoint's JVM by one with the set (one process: no second JVM).
    List<String> java = running.lines().filter(l -> l.contains("connected-registry.jar")).toList();
    assertEquals(1, java.size(), running);
    assertTrue(java.get(0).contains("-Dconnected-registry.launcher=exec,small-device"), running);
    for (String option : List.of("-Xmx24m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError")) {
      assertTrue(java.get(0).contains(option), option + " in " + running);
    }
  }

  @Test
  void theHealthcheckPassesWhileTheRegistryAnswersAndFailsWhenNothingDoes() {
    requireContainers();
    JsonNode health = ImageTools.readJson(podman("image", "inspect", "--format", "{{json .HealthCheck}}", IMAGE)
        .assertOk().stdout());
    List<String> test = new ArrayList<>();
    health.path("Test").forEach(t -> test.add(t.asText()));
    assertEquals("CMD", test.get(0), health::toString);

    Command.Result healthy = podman("healthcheck", "run", container);
    assertEquals(0, healthy.exitCode(), healthy::describe);

    // The same command in a container where nothing listens on the port it asks.
    List<String> unanswered = new ArrayList<>(List.of("run", "--rm", "-e", "REGISTRY_LISTEN=127.0.0.1:" + freePort(),
        "--entrypoint", test.get(1), IMAGE));
    unanswered.addAll(test.subList(2, test.size()));
    Command.Result unhealthy = podman(unanswered.toArray(String[]::new));
    assertNotEquals(0, unhealthy.exitCode(), unhealthy::describe);
    assertTrue(unhealthy.stdout().contains("/healthz failed"), unhealthy::describe);
  }

  @Test
  void theHealthcheckFollowsTheRegistryToHttps() throws IOException {
    requireContainers();
    Path pki = Workspace.dir("container-image-tls");
    // A certificate that does not name 127.0.0.1: the check trusts this very certificate instead.
    Command.run(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "1", "-subj", "/CN=connected-registry", "-keyout", pki.resolve("tls.key").toString(),
        "-out", pki.resolve("tls.crt").toString())).assertOk();
    // The registry runs as uid 10001 in the container and must read the key.
    pki.resolve("tls.key").toFile().setReadable(true, false);
    int tlsPort = freePort();
    String tlsContainer = "cr-image-test-tls-" + tlsPort;
    try {
      podman("run", "-d", "--name", tlsContainer, "-v", pki + ":/certs:ro",
          "-e", "REGISTRY_LISTEN=127.0.0.1:" + tlsPort,
          "-e", "REGISTRY_TLS_CERTIFICATE=/certs/tls.crt", "-e", "REGISTRY_TLS_KEY=/certs/tls.key", IMAGE).assertOk();
      Command.Result check = null;
      long deadline = System.nanoTime() + 60_000_000_000L;
      while (System.nanoTime() < deadline) {
        check = podman("healthcheck", "run", tlsContainer);
        if (check.ok()) {
          break;
        }
        sleep(500);
      }
      Command.Result last = check;
      assertEquals(0, last.exitCode(), () -> last.describe() + "\n" + podman("logs", tlsContainer).stderr());
    } finally {
      podman("rm", "--force", "--volumes", tlsContainer);
    }
  }

  @Test
  void anImagePushedIntoTheContainerIsPulledBackIdenticalAndKeptInTheVolume() throws IOException {
    requireContainers();
    Path work = Workspace.dir("container-image");
    Path layout = work.resolve("image");
    String digest = makeImage(layout, "v1", "-l", "16K", "-l", "300K", "-s", "container-image");
    String ref = "docker://127.0.0.1:" + port + "/edge/app:v1";

    ImageTools.skopeo("copy", "--dest-tls-verify=false", "oci:" + layout + ":v1", ref).assertOk();
    Path back = work.resolve("back");
    ImageTools.skopeo("copy", "--src-tls-verify=false", ref, "oci:" + back + ":v1").assertOk();

    assertEquals(digest, ImageTools.layoutDigest(back, "v1"), "the manifest pulled is the one pushed");
    assertEquals(ImageTools.layoutBlobs(layout), ImageTools.layoutBlobs(back));
    ImageTools.assertLayoutIntact(back);
    Path volume = Path.of(podman("inspect", "--format",
        "{{range .Mounts}}{{if eq .Destination \"/var/acr/data\"}}{{.Source}}{{end}}{{end}}", container)
        .assertOk().stdout().strip());
    String config = ImageTools.readJson(layout.resolve("blobs/sha256/" + digest.substring(7))).at("/config/digest").asText();
    try (Stream<Path> files = Files.walk(volume)) {
      assertTrue(files.anyMatch(p -> p.getFileName().toString().contains(config.substring(7))),
          "the pushed config blob " + config + " is stored under the volume " + volume);
    }
  }

  // --- support ----------------------------------------------------------------------------------

  private static void requireContainers() {
    assumeTrue(unavailable == null, () -> "CONTAINER IMAGE TEST SKIPPED: " + unavailable);
  }

  /** The base image of this kind, made from this machine's Debian packages unless the store has it. */
  private static String baseImage(String kind, String tag) {
    String name = "localhost/cr-test/java17-" + kind + ":" + tag;
    if (podman("image", "exists", name).ok()) {
      return name;
    }
    long start = System.nanoTime();
    Path rootfs = store.resolve("rootfs-" + kind);
    Path tar = store.resolve("rootfs-" + kind + ".tar");
    Command.run(List.of("bash", Repository.file(ROOTFS_SCRIPT).toString(), kind, rootfs.toString()), Map.of(), 300)
        .assertOk();
    Command.run(List.of("tar", "-C", rootfs.toString(), "-cf", tar.toString(), "."), Map.of(), 300).assertOk();
    podman("import", "--change", "ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        tar.toString(), name).assertOk();
    Workspace.deleteRecursively(rootfs);
    try {
      Files.deleteIfExists(tar);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    System.out.printf("ContainerImageTest: base image %s made in %d s%n", name,
        (System.nanoTime() - start) / 1_000_000_000L);
    return name;
  }

  private static Path m2Repository() {
    String local = System.getProperty("maven.repo.local");
    Path repo = local != null ? Path.of(local) : Path.of(System.getProperty("user.home"), ".m2", "repository");
    if (!Files.isDirectory(repo)) {
      throw new AssertionError("no local Maven repository at " + repo + " to build the image offline");
    }
    return repo;
  }

  private static Command.Result podman(String... args) {
    List<String> cmd = new ArrayList<>(List.of("podman"));
    cmd.addAll(List.of(args));
    return containers(300, cmd.toArray(String[]::new));
  }

  /** podman or buildah on the private store, with the shared containers.conf. */
  private static Command.Result containers(int timeoutSeconds, String... command) {
    List<String> cmd = new ArrayList<>(List.of(command[0],
        "--root", store.resolve("root").toString(),
        "--runroot", runRoot.toString(),
        "--storage-driver", storageDriver));
    cmd.addAll(List.of(command).subList(1, command.length));
    return Command.run(cmd, Map.of("CONTAINERS_CONF", Workspace.sharedTool("containers.conf").toString()),
        timeoutSeconds);
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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

  /** /healthz from outside the container answers 200 within a minute, or the test fails with the log. */
  private static void awaitHealthz() {
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/healthz").toURL()
            .openConnection();
        c.setConnectTimeout(1000);
        c.setReadTimeout(1000);
        if (c.getResponseCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      sleep(250);
    }
    throw new AssertionError("the container never answered /healthz on 127.0.0.1:" + port + "\n"
        + podman("logs", container).stdout() + podman("logs", container).stderr());
  }
}
