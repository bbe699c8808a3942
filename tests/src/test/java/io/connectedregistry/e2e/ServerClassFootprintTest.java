package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.Expect.status;
import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import io.connectedregistry.e2e.support.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Classes a server needs only once, or not at all, do not stay loaded. Loaded classes stay for as
 * long as their class loader lives (for the application's loader: for good), and each costs
 * metaspace, symbols and heap (bench/README.md, issue #13, eighth session):
 * <ul>
 *   <li>a registry that serves pushes, pulls and errors makes no jackson-databind mapper (~360
 *       classes, ~4 MiB of peak RSS under the benchmark, for documents that are only maps and
 *       lists). Vert.x's JSON runs on jackson-core ({@code CoreJsonFactory}) and the registry's own
 *       mappers are made on first use; a static mapper on the server's path, or Vert.x's databind
 *       codec back, fails this test;
 *   <li>picocli, which read the server's arguments in a class loader of its own ({@code
 *       ServerArguments}), is unloaded by a full collection: if that reading failed and the server
 *       fell back to reading them in its own loader, ~170 picocli classes would stay.
 * </ul>
 */
class ServerClassFootprintTest {
  private RegistryProcess registry;

  @AfterEach
  void stop() {
    RegistryProcess.closeAll(registry);
  }

  @Test
  void aServerKeepsNoDatabindMapperAndNoPicocli() throws Exception {
    if (RegistryProcess.isReferenceDistribution()) {
      return;
    }
    Path work = Workspace.dir("class-footprint");
    Path classes = work.resolve("classes.txt");
    registry = RegistryProcess.prepare("class-footprint")
        .withJvmArgs("-Xlog:class+load=info,class+unload=info:file=" + classes)
        .start();
    RegistryClient client = new RegistryClient(registry);

    Path image = work.resolve("image");
    makeImage(image, "v1", "-l", "4K", "-s", "footprint");
    String target = "docker://" + registry.hostPort() + "/footprint/app:v1";
    skopeo("copy", "--dest-tls-verify=false", "oci:" + image + ":v1", target).assertOk();
    skopeo("copy", "--src-tls-verify=false", target, "oci:" + work.resolve("back") + ":v1").assertOk();
    Response missing = status(client.get("/v2/footprint/app/manifests/nope"), 404);
    assertEquals(List.of("MANIFEST_UNKNOWN"), missing.errorCodes());
    status(client.get("/v2/footprint/app/tags/list"), 200);

    String loaded = Files.readString(classes);
    assertTrue(loaded.contains(" com.fasterxml.jackson.core.JsonFactory "),
        "the class log must show Vert.x's JSON being loaded, or it proves nothing: " + classes);
    assertFalse(loaded.contains(" com.fasterxml.jackson.databind.ObjectMapper "),
        () -> "a jackson-databind ObjectMapper was made; the classes loaded just before it:\n"
            + before(loaded, " com.fasterxml.jackson.databind.ObjectMapper ", 2000));

    // the JDK's own jcmd, the one beside the java that runs the tests and the registry
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    Command.run(List.of(jcmd, Long.toString(registry.pid()), "GC.run")).assertOk();
    String afterGc = Files.readString(classes);
    long picocliLoaded = count(afterGc, "[class,load] picocli.");
    long picocliUnloaded = count(afterGc, "[class,unload] unloading class picocli.");
    assertTrue(picocliLoaded > 100, "picocli read the arguments: " + picocliLoaded + " classes loaded");
    assertTrue(picocliLoaded - picocliUnloaded < 10, "picocli classes still loaded after a full collection: "
        + (picocliLoaded - picocliUnloaded) + " (" + picocliLoaded + " loaded, " + picocliUnloaded + " unloaded)");
  }

  private static long count(String log, String marker) {
    return log.lines().filter(line -> line.contains(marker)).count();
  }

  /** What the class log says before {@code marker}: a clue to who made the mapper. */
  private static String before(String log, String marker, int chars) {
    int at = log.indexOf(marker);
    return log.substring(Math.max(0, at - chars), at);
  }
}
