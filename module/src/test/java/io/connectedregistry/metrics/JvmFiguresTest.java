package io.connectedregistry.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The JVM's figures are bound after a start, off its path ({@link RegistryMetrics#bindJvm}): a
 * scrape that comes first must still carry them, and binding twice must not count anything twice.
 */
class JvmFiguresTest {

  @Test
  void aScrapeBeforeTheBindingCarriesTheJvmFigures() {
    RegistryMetrics metrics = new RegistryMetrics();
    try {
      String text = metrics.scrapeNow();
      assertTrue(text.contains("\njvm_memory_used_bytes{"), "memory");
      assertTrue(text.contains("\njvm_threads_live_threads "), "threads");
      assertTrue(text.contains("\nprocess_uptime_seconds "), "uptime");
      assertTrue(text.contains("\nprocess_files_open_files "), "file descriptors");
    } finally {
      metrics.close();
    }
  }

  @Test
  void bindingAgainAddsNoSecondSeries() {
    RegistryMetrics metrics = new RegistryMetrics();
    try {
      metrics.bindJvm();
      String once = metrics.scrapeNow();
      metrics.bindJvm();
      String twice = metrics.scrapeNow();
      assertEquals(count(once, "\nprocess_uptime_seconds "), 1);
      assertEquals(count(twice, "\nprocess_uptime_seconds "), 1);
      assertEquals(names(once), names(twice), "the same series");
    } finally {
      metrics.close();
    }
  }

  @Test
  void aClosedRegistryBindsNothing() {
    RegistryMetrics metrics = new RegistryMetrics();
    metrics.close();
    metrics.bindJvm();
    assertFalse(metrics.scrapeNow().contains("jvm_memory_used_bytes"), "nothing bound after close");
  }

  private static int count(String text, String needle) {
    int n = 0;
    for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }

  private static java.util.List<String> names(String text) {
    return Arrays.stream(text.split("\n")).filter(l -> !l.startsWith("#"))
        .map(l -> l.replaceAll("[{ ].*", "")).sorted().toList();
  }
}
