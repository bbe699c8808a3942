package io.connectedregistry.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.config.RegistryConfig.Mode;
import io.connectedregistry.status.RegistryStatus;
import io.connectedregistry.status.StatusBoard;
import io.connectedregistry.storage.GcReport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gauges over the status board read it at scrape time: what a part last published is what a
 * scrape says, with NaN (not -1) for what is not measured yet. And the HTTP label mapping.
 */
class StatusGaugesTest {
  private final RegistryMetrics metrics = new RegistryMetrics();
  private final StatusBoard board = new StatusBoard(RegistryStatus.starting(Mode.ReadWrite, "test", true), Runnable::run);

  @AfterEach
  void close() {
    metrics.close();
  }

  @Test
  void storageAndUpstreamQueueGaugesShowWhatTheBoardHoldsNow() {
    metrics.watch(board);
    Scrape unmeasured = new Scrape(metrics.scrapeNow());
    assertTrue(unmeasured.text().contains("connected_registry_storage_used_bytes NaN"), unmeasured.text());
    assertEquals(0, unmeasured.value("connected_registry_upstream_queue_pending"));

    board.update(s -> s.withStorage(new RegistryStatus.Storage(123_456, 7, 42, 9_000_000))
        .withUpstreamQueue(new RegistryStatus.UpstreamQueue(5, 2)));
    Scrape now = new Scrape(metrics.scrapeNow());
    assertEquals(123_456, now.value("connected_registry_storage_used_bytes"));
    assertEquals(7, now.value("connected_registry_storage_repositories"));
    assertEquals(42, now.value("connected_registry_storage_blobs"));
    assertEquals(9_000_000, now.value("connected_registry_storage_free_bytes"));
    assertEquals(5, now.value("connected_registry_upstream_queue_pending"));
    assertEquals(2, now.value("connected_registry_upstream_queue_expired"));
    assertTrue(now.text().contains("connected_registry_sync_last_success_timestamp_seconds NaN"));
  }

  @Test
  void garbageCollectionReportsAddUp() {
    metrics.collected(new GcReport(1, 2, 1000, 0, 0));
    metrics.collected(new GcReport(0, 1, 24, 0, 1));
    Scrape scrape = new Scrape(metrics.scrapeNow());
    assertEquals(2, scrape.value("connected_registry_gc_runs_total"));
    assertEquals(1024, scrape.value("connected_registry_gc_freed_bytes_total"));
  }

  @Test
  void statusCodesBecomeClassesAndTheLastRouteNameIsTheTemplate() {
    assertEquals("2xx", HttpLabels.statusClass("201"));
    assertEquals("4xx", HttpLabels.statusClass("404"));
    assertEquals("5xx", HttpLabels.statusClass("503"));
    assertEquals("other", HttpLabels.statusClass("0"));
    assertEquals("/v2/{name}/manifests/{reference}",
        HttpLabels.template("/v2/*>/v2/{name}/manifests/{reference}"));
    assertEquals("/_connected/v1/admin/tokens", HttpLabels.template("/_connected/v1/admin/*>/_connected/v1/admin/tokens"));
    assertEquals("", HttpLabels.template(""));
  }
}
