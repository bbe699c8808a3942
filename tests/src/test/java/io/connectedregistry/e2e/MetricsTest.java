package io.connectedregistry.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.connectedregistry.e2e.support.AuthSupport;
import io.connectedregistry.e2e.support.ImageTools;
import io.connectedregistry.e2e.support.RegistryClient;
import io.connectedregistry.e2e.support.RegistryProcess;
import io.connectedregistry.e2e.support.Response;
import io.connectedregistry.e2e.support.Workspace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The shipped jar, under the small-device JVM settings, serves {@code /metrics} on {@code
 * metrics.listen}: a skopeo push is counted under the manifest route's template, and the JVM and
 * process binders report. (The metric values in detail: the module's {@code RegistryMetricsTest}.)
 */
class MetricsTest {
  private RegistryProcess registry;

  @AfterEach
  void stop() {
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void theJarServesCountsOfAPushOnTheMetricsListener() {
    assumeFalse(RegistryProcess.isReferenceDistribution(), "metrics are this registry's own");
    int metricsPort = freePort();
    registry = RegistryProcess.prepare("metrics").withJvmArgs("@" + RegistryProcess.smallDeviceJvmOptions());
    registry.withArgs("--config", AuthSupport.writeConfig(registry,
        "metrics: {listen: '127.0.0.1:" + metricsPort + "'}\n").toString());
    registry.start();
    RegistryClient metrics = new RegistryClient(URI.create("http://127.0.0.1:" + metricsPort));

    Path layout = Workspace.dir("metrics-image").resolve("layout");
    ImageTools.makeImage(layout, "v1", "-l", "32K", "-s", "e2e-metrics");
    ImageTools.skopeo("copy", "-q", "--dest-tls-verify=false", "oci:" + layout + ":v1",
        "docker://" + registry.hostPort() + "/team/metrics-app:v1").assertOk();

    Response scrape = metrics.get("/metrics");
    assertEquals(200, scrape.status(), scrape.describe());
    String text = scrape.text();
    assertEquals(1.0, value(text, "vertx_http_server_requests_total\\{code=\"2xx\",method=\"PUT\","
        + "route=\"/v2/\\{name\\}/manifests/\\{reference\\}\"\\}"), text);
    assertFalse(text.contains("metrics-app"), "a repository name in the scrape");
    assertTrue(text.contains("\njvm_gc_pause_seconds") || text.contains("\njvm_gc_memory_allocated_bytes_total"),
        "JVM GC metrics under the small-device settings");
    assertTrue(text.contains("\nprocess_uptime_seconds "), "process metrics");
    assertEquals(401, new RegistryClient(registry).get("/metrics").status(), "the main listener wants an admin");
  }

  private static double value(String text, String series) {
    Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
