package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.header;
import static io.connectedregistry.e2e.support.Expect.status;
import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.Digests;
import io.connectedregistry.e2e.support.ImageTools;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
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
 * podman push and pull against the registry, with the shared {@code containers.conf} (host
 * network, runc) and a private image store (vfs) under target/, so the machine's own podman
 * storage is never touched. Skipped, saying why, only when podman cannot run here.
 */
class PodmanTest {

  private static String unavailable;
  private static Path store;
  private static RegistryProcess registry;

  @BeforeAll
  static void checkPodman() {
    if (!Command.available("podman", "--version")) {
      unavailable = "podman is not installed (apt-get install -y podman)";
      return;
    }
    store = Workspace.dir("podman");
    Command.Result info = podman("info");
    if (!info.ok()) {
      unavailable = "podman does not work here: " + info.describe();
      return;
    }
    registry = RegistryProcess.startFresh("podman");
  }

  @AfterAll
  static void cleanUp() {
    if (unavailable == null && store != null) {
      podman("rmi", "--all", "--force");
    }
    if (registry != null) {
      registry.close();
    }
  }

  private static Command.Result podman(String... args) {
    List<String> cmd = new ArrayList<>(List.of("podman",
        "--root", store.resolve("root").toString(),
        "--runroot", store.resolve("run").toString(),
        "--storage-driver", "vfs"));
    cmd.addAll(List.of(args));
    return Command.run(cmd, Map.of("CONTAINERS_CONF", Workspace.sharedTool("containers.conf").toString()), 300);
  }

  private static String lastLine(String s) {
    String[] lines = s.trim().split("\n");
    return lines[lines.length - 1].trim();
  }

  @Test
  void anImagePushedWithPodmanIsPulledBackIdentical() throws IOException {
    assumeTrue(unavailable == null, () -> "podman test skipped: " + unavailable);
    Path layout = store.resolve("image");
    makeImage(layout, "v1", "-l", "16K", "-l", "256K", "-s", "podman");
    String policy = "--signature-policy=" + ImageTools.policy();
    String imageId = lastLine(podman("pull", policy, "oci:" + layout + ":v1").assertOk().stdout());
    String ref = registry.hostPort() + "/podman/app:v1";
    Path digestFile = store.resolve("pushed.digest");

    podman("tag", imageId, ref).assertOk();
    podman("push", policy, "--tls-verify=false", "--digestfile", digestFile.toString(), ref).assertOk();

    String pushed = Files.readString(digestFile).trim();
    assertTrue(pushed.startsWith("sha256:"), pushed);
    String raw = ImageTools.skopeo("inspect", "--raw", "--tls-verify=false", "docker://" + ref).assertOk().stdout();
    assertEquals(pushed, Digests.sha256(raw.getBytes(StandardCharsets.UTF_8)), "the registry serves the pushed bytes");
    header(status(new RegistryClient(registry).head("/v2/podman/app/manifests/v1",
        "Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"),
        200), "Docker-Content-Digest", pushed);

    podman("rmi", "--all", "--force").assertOk();
    assertEquals("", podman("images", "-q").assertOk().stdout().trim(), "local store is empty before the pull");
    String pulledId = lastLine(podman("pull", policy, "--tls-verify=false", ref).assertOk().stdout());

    assertEquals(imageId, pulledId, "the pulled image has the same ID (config digest) as the one pushed");
    String pulledDigest = podman("image", "inspect", "--format", "{{.Digest}}", ref).assertOk().stdout().trim();
    assertEquals(pushed, pulledDigest, "podman pulled the manifest it pushed");
  }
}
