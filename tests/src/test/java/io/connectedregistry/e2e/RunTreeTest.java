package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.ImageTools;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Workspace;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * iotedge-dev/run-tree.sh as a developer runs it: a root, a top-layer IoT Edge module and a nested
 * one (parent $upstream) with the stand-in; an image pushed to the root reaches the nested
 * registry; the twins answer through the stand-in's CLI; SIGTERM stops every process it started.
 * Binds 127.0.0.1:8883 like every stand-in test.
 */
// The Azure IoT SDK always connects to port 8883: one such class at a time (tests/pom.xml runs classes in parallel).
@ResourceLock("127.0.0.1:8883")
class RunTreeTest {

  private static final Duration UP = Duration.ofSeconds(120);
  private static final Duration SYNCED = Duration.ofSeconds(240);

  private Process script;
  private List<ProcessHandle> started = List.of();

  @AfterEach
  void stop() throws InterruptedException {
    if (script != null && script.isAlive()) {
      script.destroy();
      script.waitFor(60, TimeUnit.SECONDS);
    }
    started.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  private static Path iotedgeDev() {
    return Paths.get(System.getProperty("iotedge-dev.dir", "../iotedge-dev")).toAbsolutePath().normalize();
  }

  private static boolean hasEdgePackage(Path jar) throws IOException {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      return zip.stream().anyMatch(e -> e.getName().startsWith("io/connectedregistry/edge/"));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void the_tree_comes_up_an_image_pushed_to_the_root_reaches_the_nested_module_and_sigterm_stops_all() throws Exception {
    assumeTrue(!RegistryProcess.isReferenceDistribution(), "the IoT Edge module is this project's own");
    Path registryJar = Paths.get(System.getProperty("registry.jar")).toAbsolutePath();
    Path devJar = iotedgeDev().resolve("target/iotedge-dev.jar");
    assertTrue(Files.isRegularFile(devJar), devJar + " is missing: package iotedge-dev first");
    // The modules need the edge package (twin, $upstream); a registry built without it cannot run the tree.
    assumeTrue(hasEdgePackage(registryJar), "this registry jar has no IoT Edge package");
    assumeTrue(Command.available("skopeo", "--version"), "skopeo is not installed");

    Path work = Workspace.dir("run-tree");
    Path controlFile = work.resolve("control.json");
    int root = freePort();
    int top = freePort();
    int nested = freePort();
    Path out = Workspace.root().resolve("run-tree.out");
    ProcessBuilder pb = new ProcessBuilder("bash", iotedgeDev().resolve("run-tree.sh").toString())
        .redirectErrorStream(true)
        .redirectOutput(out.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(Map.of(
        "REGISTRY_JAR", registryJar.toString(), "IOTEDGE_DEV_JAR", devJar.toString(),
        "WORK", work.resolve("tree").toString(), "CONTROL_FILE", controlFile.toString(),
        "ROOT_PORT", Integer.toString(root), "TOP_PORT", Integer.toString(top),
        "NESTED_PORT", Integer.toString(nested), "TOP_MODE", "ReadWrite"));
    script = pb.start();

    long deadline = System.nanoTime() + UP.toNanos();
    while (!Files.readString(out).contains("run-tree: all running")) {
      assertTrue(script.isAlive(), () -> "run-tree.sh stopped:\n" + read(out));
      assertTrue(System.nanoTime() < deadline, () -> "run-tree.sh not up within " + UP + ":\n" + read(out));
      Thread.sleep(500);
    }
    started = script.descendants().toList();
    String printed = Files.readString(out);
    assertTrue(printed.contains("parent $upstream:" + top), printed);

    Path layout = work.resolve("image");
    String digest = ImageTools.makeImage(layout, "1", "-l", "64K", "-s", "tree");
    skopeo("copy", "--dest-tls-verify=false", "oci:" + layout + ":1",
        "docker://127.0.0.1:" + root + "/demo/hello:1").assertOk();

    // the nested registry has it once top and then nested have synced (schedule: every minute)
    long synced = System.nanoTime() + SYNCED.toNanos();
    Command.Result inspect;
    do {
      Thread.sleep(2000);
      inspect = skopeo("inspect", "--tls-verify=false", "docker://127.0.0.1:" + nested + "/demo/hello:1");
    } while (!inspect.ok() && System.nanoTime() < synced && script.isAlive());
    assertTrue(inspect.ok(), "the image did not reach the nested registry within " + SYNCED + ": "
        + inspect.describe() + "\n" + read(out) + tail(work.resolve("tree/nested.log")));
    assertEquals(digest, new ObjectMapper().readTree(inspect.stdout()).path("Digest").asText(),
        "the same manifest through two levels");

    // the twins, through the stand-in's CLI
    JsonNode twin = devCli(devJar, "twin", "--control-file", controlFile.toString(),
        "--device", "nested-device", "--module", "registry");
    assertEquals(200, twin.path("reported").path("sync").path("ac").asInt(), twin::toString);
    JsonNode status = devCli(devJar, "invoke", "--control-file", controlFile.toString(),
        "--device", "top-device", "--module", "registry", "--method", "getStatus");
    assertEquals(200, status.path("status").asInt(), status::toString);

    // SIGTERM (what Ctrl-C's trap does too): every process the script started ends
    assertEquals(4, started.stream().filter(p -> p.info().command().orElse("").endsWith("java")).count(),
        () -> "expected the stand-in and three registries: " + started);
    script.destroy();
    assertTrue(script.waitFor(60, TimeUnit.SECONDS), "run-tree.sh did not stop on SIGTERM");
    for (ProcessHandle p : started) {
      p.onExit().get(30, TimeUnit.SECONDS);
      assertFalse(p.isAlive(), "left running: " + p.info());
    }
    assertFalse(Files.exists(controlFile), "the stand-in removed its control file");
    assertFalse(Files.exists(work.resolve("tree")), "the work folder is removed after a clean stop");
  }

  private static JsonNode devCli(Path devJar, String... args) throws IOException {
    List<String> cmd = new java.util.ArrayList<>(List.of("java", "-jar", devJar.toString()));
    cmd.addAll(List.of(args));
    Command.Result r = Command.run(cmd, Map.of(), 60).assertOk();
    return new ObjectMapper().readTree(r.stdout());
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }

  private static String tail(Path log) {
    String s = read(log);
    return "\n--- " + log.getFileName() + " ---\n" + s.substring(Math.max(0, s.length() - 4000));
  }
}
