package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.AuthSupport.createToken;
import static io.connectedregistry.e2e.support.Expect.header;
import static io.connectedregistry.e2e.support.Expect.status;
import static io.connectedregistry.e2e.support.ImageTools.layoutBlobs;
import static io.connectedregistry.e2e.support.ImageTools.layoutDigest;
import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.AuthSupport.Credentials;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real clients against a registry that requires tokens ({@code auth.anonymousPull: false}):
 * skopeo and podman log in (Docker token protocol behind the scenes), push with a push token,
 * pull with a pull-only token, and fail to push with the pull-only token.
 */
class LoginClientsTest {

  private static RegistryProcess registry;
  private static RegistryClient client;
  private static Path work;
  private static Credentials pusher;
  private static Credentials puller;

  @BeforeAll
  static void startRegistry() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "token auth is this registry's own");
    registry = AuthSupport.prepareWithConfig("login-clients", "auth:\n  anonymousPull: false\n");
    registry.start();
    client = new RegistryClient(registry);
    work = Workspace.dir("login-clients");
    pusher = createToken(registry, "pusher", "--repository", "app/*", "content/read", "content/write",
        "metadata/read");
    puller = createToken(registry, "puller", "--repository", "app/*", "content/read", "metadata/read");
  }

  @AfterAll
  static void stopRegistry() {
    if (podmanUnavailable == null && podmanStore != null) {
      podman("rmi", "--all", "--force");
    }
    if (registry != null) {
      registry.close();
    }
  }

  private static String docker(String repoAndTag) {
    return "docker://" + registry.hostPort() + "/" + repoAndTag;
  }

  private static String creds(Credentials c) {
    return c.name() + ":" + c.password();
  }

  private static String remoteDigest(String repoAndTag, Credentials c) {
    Command.Result raw = skopeo("inspect", "--raw", "--tls-verify=false", "--creds", creds(c), docker(repoAndTag))
        .assertOk();
    return Digests.sha256(raw.stdout().getBytes(StandardCharsets.UTF_8));
  }

  private static int headManifest(String repo, String tag) {
    return client.head("/v2/" + repo + "/manifests/" + tag, AuthSupport.concat(pusher.header(),
        "Accept", Oci.IMAGE_MANIFEST + ", " + Oci.DOCKER_MANIFEST)).status();
  }

  @Test
  void skopeoLoginPushWithAPushTokenAndPullWithAPullToken() throws IOException {
    Path src = work.resolve("login-src");
    String digest = makeImage(src, "v1", "-l", "8K", "-l", "128K", "-s", "login");
    Path authfile = work.resolve("auth.json");

    // A wrong password: skopeo login fails, nothing stored.
    Command.Result bad = skopeo("login", "--authfile", authfile.toString(), "--tls-verify=false",
        "-u", pusher.name(), "-p", "wrong-password", registry.hostPort());
    assertFalse(bad.ok(), bad::describe);

    skopeo("login", "--authfile", authfile.toString(), "--tls-verify=false",
        "-u", pusher.name(), "-p", pusher.password(), registry.hostPort()).assertOk();
    assertTrue(Files.readString(authfile).contains(registry.hostPort()), "skopeo stored the login");

    skopeo("copy", "--authfile", authfile.toString(), "--dest-tls-verify=false",
        "oci:" + src + ":v1", docker("app/login:v1")).assertOk();
    assertEquals(200, headManifest("app/login", "v1"));
    assertEquals(digest, remoteDigest("app/login:v1", puller));

    // Pull with the pull-only token (--creds), byte-exact.
    Path back = work.resolve("login-back");
    skopeo("copy", "--src-creds", creds(puller), "--src-tls-verify=false",
        docker("app/login:v1"), "oci:" + back + ":v1").assertOk();
    assertEquals(digest, layoutDigest(back, "v1"));
    assertEquals(layoutBlobs(src), layoutBlobs(back), "the pulled layout holds exactly the source's blobs");
    ImageTools.assertLayoutIntact(back);

    // Without credentials nothing is readable.
    Command.Result anonymous = skopeo("inspect", "--raw", "--tls-verify=false", "--no-creds",
        docker("app/login:v1"));
    assertFalse(anonymous.ok(), anonymous::describe);

    skopeo("logout", "--authfile", authfile.toString(), registry.hostPort()).assertOk();
    assertFalse(Files.readString(authfile).contains(registry.hostPort()), "skopeo logout removed the login");
  }

  @Test
  void aPullOnlyTokenCannotPushAndLeavesNoTagBehind() {
    Path src = work.resolve("denied-src");
    makeImage(src, "v1", "-l", "8K", "-s", "denied");
    Path authfile = work.resolve("puller-auth.json");
    skopeo("login", "--authfile", authfile.toString(), "--tls-verify=false",
        "-u", puller.name(), "-p", puller.password(), registry.hostPort()).assertOk();

    Command.Result viaLogin = skopeo("copy", "--authfile", authfile.toString(), "--dest-tls-verify=false",
        "oci:" + src + ":v1", docker("app/denied:v1"));
    assertFalse(viaLogin.ok(), viaLogin::describe);
    Command.Result viaCreds = skopeo("copy", "--dest-creds", creds(puller), "--dest-tls-verify=false",
        "oci:" + src + ":v1", docker("app/denied:v2"));
    assertFalse(viaCreds.ok(), viaCreds::describe);

    assertEquals(404, headManifest("app/denied", "v1"), "a refused push must leave no tag");
    assertEquals(404, headManifest("app/denied", "v2"), "a refused push must leave no tag");
    Response tags = client.get("/v2/app/denied/tags/list", pusher.header());
    assertTrue(tags.status() == 404 || !tags.text().contains("\"v1\""), tags::describe);
    // And a push token outside its pattern fails too.
    Command.Result outside = skopeo("copy", "--dest-creds", creds(pusher), "--dest-tls-verify=false",
        "oci:" + src + ":v1", docker("other/denied:v1"));
    assertFalse(outside.ok(), outside::describe);
  }

  // ------------------------------------------------------------------------------------------
  // podman, where it runs (as PodmanTest: shared containers.conf, private vfs store)

  private static String podmanUnavailable;
  private static Path podmanStore;

  private static Command.Result podman(String... args) {
    List<String> cmd = new ArrayList<>(List.of("podman",
        "--root", podmanStore.resolve("root").toString(),
        "--runroot", podmanStore.resolve("run").toString(),
        "--storage-driver", "vfs"));
    cmd.addAll(List.of(args));
    return Command.run(cmd, Map.of("CONTAINERS_CONF", Workspace.sharedTool("containers.conf").toString()), 300);
  }

  private static void checkPodman() {
    if (podmanStore != null || podmanUnavailable != null) {
      return;
    }
    if (!Command.available("podman", "--version")) {
      podmanUnavailable = "podman is not installed (apt-get install -y podman)";
      return;
    }
    podmanStore = Workspace.dir("login-podman");
    Command.Result info = podman("info");
    if (!info.ok()) {
      podmanUnavailable = "podman does not work here: " + info.describe();
    }
  }

  private static String lastLine(String s) {
    String[] lines = s.trim().split("\n");
    return lines[lines.length - 1].trim();
  }

  @Test
  void podmanLogsInPushesAndPullsAndAPullTokenCannotPush() throws IOException {
    checkPodman();
    assumeTrue(podmanUnavailable == null, () -> "podman test skipped: " + podmanUnavailable);
    Path layout = podmanStore.resolve("image");
    makeImage(layout, "v1", "-l", "16K", "-l", "64K", "-s", "podman-login");
    String policy = "--signature-policy=" + ImageTools.policy();
    String authfile = podmanStore.resolve("auth.json").toString();
    Files.writeString(Path.of(authfile), "{\"auths\":{}}");
    String imageId = lastLine(podman("pull", policy, "oci:" + layout + ":v1").assertOk().stdout());
    String ref = registry.hostPort() + "/app/podman:v1";
    podman("tag", imageId, ref).assertOk();

    Command.Result noLogin = podman("push", policy, "--tls-verify=false", "--authfile", authfile, ref);
    assertFalse(noLogin.ok(), () -> "a push without login must fail: " + noLogin.describe());

    podman("login", "--authfile", authfile, "--tls-verify=false", "-u", pusher.name(), "-p", pusher.password(),
        registry.hostPort()).assertOk();
    Path digestFile = podmanStore.resolve("pushed.digest");
    podman("push", policy, "--tls-verify=false", "--authfile", authfile, "--digestfile", digestFile.toString(), ref)
        .assertOk();
    String pushed = Files.readString(digestFile).trim();
    header(status(client.head("/v2/app/podman/manifests/v1", AuthSupport.concat(pusher.header(),
        "Accept", Oci.IMAGE_MANIFEST + ", " + Oci.DOCKER_MANIFEST)), 200), "Docker-Content-Digest", pushed);

    // Pull back with the pull-only token.
    podman("rmi", "--all", "--force").assertOk();
    String pulledId = lastLine(podman("pull", policy, "--tls-verify=false", "--creds", creds(puller), ref)
        .assertOk().stdout());
    assertEquals(imageId, pulledId, "the pulled image has the same ID (config digest) as the one pushed");
    String pulledDigest = podman("image", "inspect", "--format", "{{.Digest}}", ref).assertOk().stdout().trim();
    assertEquals(pushed, pulledDigest);

    // The pull-only token cannot push a new tag.
    String ref2 = registry.hostPort() + "/app/podman:v2";
    podman("tag", pulledId, ref2).assertOk();
    Command.Result denied = podman("push", policy, "--tls-verify=false", "--creds", creds(puller), ref2);
    assertFalse(denied.ok(), denied::describe);
    assertEquals(404, headManifest("app/podman", "v2"), "a refused push must leave no tag");
  }
}
