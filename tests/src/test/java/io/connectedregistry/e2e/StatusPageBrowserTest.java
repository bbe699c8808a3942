package io.connectedregistry.e2e;

import static io.connectedregistry.e2e.support.ImageTools.makeImage;
import static io.connectedregistry.e2e.support.ImageTools.skopeo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.connectedregistry.e2e.support.Command;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import io.connectedregistry.e2e.support.Workspace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The status page in a real browser: headless Debian {@code chromium} at a phone's size loads
 * {@code GET /} of a connected registry (the built jar) that syncs from a root registry (a second
 * process of ours). While a large layer comes down under {@code sync.bandwidth: 1M} (the second
 * cycle: only a cycle's end tells that the parent answers) the page says the sync runs and names the
 * repository the first cycle brought; with the root stopped it says the parent is unreachable. Screenshots go to {@code target/screenshots/} for a person to look at.
 */
class StatusPageBrowserTest {
  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  private RegistryProcess root;
  private RegistryProcess child;

  @AfterEach
  void stop() {
    RegistryProcess.closeAll(child, root);
  }

  @Test
  void thePageShowsARunningSyncAndThenTheParentUnreachableOnAPhoneScreen() throws Exception {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "the status page is this project's own");
    assumeTrue(Command.available("chromium", "--version"),
        "chromium is not installed (apt-get install chromium; .ci/run installs it): browser test skipped");
    Path work = Workspace.dir("status-page");
    Path small = work.resolve("small");
    Path big = work.resolve("big");
    makeImage(small, "v1", "-l", "4K", "-s", "status-page-small");
    makeImage(big, "v1", "-l", "16M", "-z", "none", "-s", "status-page-big");

    root = RegistryProcess.startFresh("page-root");
    push(small, "app/small");
    Path config = work.resolve("child.yaml");
    Files.writeString(config, "parent:\n  endpoint: \"http://" + root.hostPort() + "\"\n"
        + "sync:\n  repositories:\n    - \"app/*\"\n  bandwidth: \"1M\"\n");
    child = RegistryProcess.startFresh("page-child", "--config", config.toString());
    RegistryClient client = new RegistryClient(child);
    // The first cycle brings app/small; only a cycle's end tells that the parent answers (Online).
    awaitStatus(client, s -> s.path("syncState").asText().equals("Succeeded"), "a first cycle");

    // The second cycle takes ~16 s: app/big's layer under sync.bandwidth 1M.
    push(big, "app/big");
    Response started = client.post("/_connected/v1/sync", new byte[0]);
    assertEquals(202, started.status(), started.text());
    JsonNode syncing = awaitStatus(client, s -> s.path("connectionState").asText().equals("Syncing")
        && s.path("bytesTransferred").asLong() > 0, "a sync running");
    Page duringSync = load(work, "status-syncing");
    String dom = duringSync.dom();
    assertTrue(dom.contains("Sync running since"), "the page says the sync runs: " + dom + "\nstatus: " + syncing);
    assertTrue(dom.contains("id=\"connection\">Syncing</span>"), dom);
    assertTrue(dom.contains("<td>app/small</td>"), "names the repository: " + dom);
    assertTrue(dom.contains("http://" + root.hostPort()), "the parent (operators: a loopback registry without "
        + "tokens): " + dom);
    assertFalse(dom.contains("unreachable"), dom);

    root.kill9(); // a graceful stop would first wait for the download in flight
    JsonNode down = awaitStatus(client, s -> s.path("connectionState").asText().equals("Offline")
        && s.path("lastError").has("correlationId"), "Offline");
    Page offline = load(work, "status-offline");
    assertTrue(offline.dom().contains("id=\"connection\">Offline</span>"), offline.dom());
    assertTrue(offline.dom().contains("the parent is unreachable"), offline.dom());
    assertTrue(offline.dom().contains("Parent unreachable"), "the headline: " + offline.dom());
    // A later cycle may have failed again meanwhile, with a new id: the code and an id's shape.
    assertTrue(offline.dom().contains("ParentUnreachable: ")
        && offline.dom().matches("(?s).*correlation id <code>[0-9a-f-]{36}</code>.*"),
        "sync's last error with its correlation id (status: " + down + "): " + offline.dom());
  }

  private void push(Path layout, String repository) {
    skopeo("copy", "-q", "--dest-tls-verify=false", "oci:" + layout + ":v1",
        "docker://" + root.hostPort() + "/" + repository + ":v1").assertOk();
  }

  private record Page(String dom, Path screenshot) {}

  /** One headless Chromium run at a phone's size: the DOM after load and a PNG screenshot. */
  private Page load(Path work, String name) throws Exception {
    Path screenshots = Path.of(System.getProperty("basedir", ""), "target", "screenshots").toAbsolutePath();
    Files.createDirectories(screenshots);
    Path png = screenshots.resolve(name + ".png");
    Files.deleteIfExists(png);
    Path profile = Files.createTempDirectory(work, "chromium-");
    Command.Result run = Command.run(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--user-data-dir=" + profile, "--window-size=412,915", "--screenshot=" + png,
        "--dump-dom", child.baseUri().resolve("/").toString()), java.util.Map.of(), 60);
    assertEquals(0, run.exitCode(), run.describe());
    assertTrue(Files.size(png) > 1000, "a screenshot at " + png);
    assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(Files.readAllBytes(png), PNG_SIGNATURE.length), "a PNG: " + png);
    Workspace.deleteRecursively(profile);
    return new Page(run.stdout(), png);
  }

  private static JsonNode awaitStatus(RegistryClient client, Predicate<JsonNode> wanted, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      Response response = client.get("/_connected/v1/status");
      assertEquals(200, response.status(), response.text());
      last = response.json();
      if (wanted.test(last)) {
        return last;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no " + what + " within 30 s; last status " + last);
  }
}
