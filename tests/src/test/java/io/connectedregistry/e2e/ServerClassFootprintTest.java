package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.status;
import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import io.connectedregistry.e2e.support.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A registry that serves pushes, pulls and errors loads no jackson-databind mapper. Loaded
 * classes stay loaded for good, and an {@code ObjectMapper} brings ~360 of them: ~4 MiB of peak
 * RSS under the benchmark, for documents that are only maps and lists (bench/README.md, issue #13,
 * eighth session). Vert.x's JSON runs on jackson-core ({@code CoreJsonFactory}) and the registry's
 * own mappers are made on first use; a static mapper on the server's path, or Vert.x's databind
 * codec back, fails this test.
 */
class ServerClassFootprintTest {
  private RegistryProcess registry;

  @AfterEach
  void stop() {
    RegistryProcess.closeAll(registry);
  }

  @Test
  void pushesPullsAndErrorsLoadNoDatabindMapper() throws Exception {
    if (RegistryProcess.isReferenceDistribution()) {
      return;
    }
    Path work = Workspace.dir("class-footprint");
    Path classes = work.resolve("classes.txt");
    registry = RegistryProcess.prepare("class-footprint")
        .withJvmArgs("-Xlog:class+load=info:file=" + classes)
        .start();
    RegistryClient client = new RegistryClient(registry);

    Path image = work.resolve("image");
    makeImage(image, "v1", "-l", "4K", "-s", "footprint");
    String target = "docker://" + registry.hostPort() + "/footprint/app:v1";
    skopeo("copy", "--dest-tls-verify=false", "oci:" + image + ":v1", target).assertOk();
    skopeo("copy", "--src-tls-verify=false", target, "oci:" + work.resolve("back") + ":v1").assertOk();
    Response missing = status(client.get("/v2/footprint/app/manifests/nope"), 404);
    assertEquals(java.util.List.of("MANIFEST_UNKNOWN"), missing.errorCodes());
    status(client.get("/v2/footprint/app/tags/list"), 200);

    String loaded = Files.readString(classes);
    assertTrue(loaded.contains(" com.fasterxml.jackson.core.JsonFactory "),
        "the class log must show Vert.x's JSON being loaded, or it proves nothing: " + classes);
    assertFalse(loaded.contains(" com.fasterxml.jackson.databind.ObjectMapper "),
        () -> "a jackson-databind ObjectMapper was made; the classes loaded just before it:\n"
            + before(loaded, " com.fasterxml.jackson.databind.ObjectMapper ", 2000));
  }

  /** What the class log says before {@code marker}: a clue to who made the mapper. */
  private static String before(String log, String marker, int chars) {
    int at = log.indexOf(marker);
    return log.substring(Math.max(0, at - chars), at);
  }
}
