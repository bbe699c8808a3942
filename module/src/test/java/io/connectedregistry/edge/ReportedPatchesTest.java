package io.connectedregistry.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ReportedPatchesTest {
  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
  private final List<Map<String, Object>> sent = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() {
    executor.shutdownNow();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(10);
    }
  }

  @Test
  void status_changes_within_the_interval_are_coalesced_into_one_patch_with_the_newest_value() throws Exception {
    ReportedPatches patches = new ReportedPatches(executor, sent::add, Duration.ofMillis(500),
        Duration.ofMillis(50), System::nanoTime);
    patches.connected(true);
    patches.offer("status", Map.of("n", 0));
    await(() -> sent.size() == 1, "the first patch, sent at once");

    for (int i = 1; i <= 20; i++) {
      patches.offer("status", Map.of("n", i));
    }
    await(() -> sent.size() == 2, "the coalesced patch");
    Thread.sleep(700);

    assertEquals(2, sent.size(), sent.toString());
    assertEquals(Map.of("status", Map.of("n", 20)), sent.get(1));
  }

  @Test
  void acknowledgements_skip_the_interval() throws Exception {
    ReportedPatches patches = new ReportedPatches(executor, sent::add, Duration.ofHours(1),
        Duration.ofMillis(50), System::nanoTime);
    patches.connected(true);
    patches.offer("status", Map.of("n", 1));
    await(() -> sent.size() == 1, "the first status");

    patches.offerNow(Map.of("mode", Map.of("ac", 200)));

    await(() -> sent.size() == 2, "the acknowledgement, despite an hour's interval");
    assertEquals(Map.of("mode", Map.of("ac", 200)), sent.get(1));
  }

  @Test
  void a_patch_whose_answer_is_lost_is_sent_again_and_newer_values_win() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    List<Map<String, Object>> attempts = new CopyOnWriteArrayList<>();
    ReportedPatches[] holder = {null};
    ReportedPatches patches = new ReportedPatches(executor, patch -> {
      attempts.add(patch);
      if (calls.incrementAndGet() == 1) {
        holder[0].offer("status", Map.of("n", 2)); // a change arrives while the first send hangs
        throw new java.util.concurrent.TimeoutException("no answer (azure-iot-sdk-java#1803)");
      }
      sent.add(patch);
    }, Duration.ofMillis(10), Duration.ofMillis(50), System::nanoTime);
    holder[0] = patches;
    patches.connected(true);

    patches.offerNow(Map.of("status", Map.of("n", 1), "logLevel", Map.of("ac", 200)));

    await(() -> sent.size() == 1, "the repeated patch");
    assertEquals(Map.of("status", Map.of("n", 2), "logLevel", Map.of("ac", 200)), sent.get(0));
    assertTrue(patches.pending().isEmpty());
  }

  @Test
  void nothing_is_sent_while_disconnected_and_everything_waiting_goes_on_connection() throws Exception {
    List<Map<String, Object>> order = new ArrayList<>();
    ReportedPatches patches = new ReportedPatches(executor, p -> {
      synchronized (order) {
        order.add(p);
      }
      sent.add(p);
    }, Duration.ofMillis(10), Duration.ofMillis(50), System::nanoTime);
    patches.offer("status", Map.of("n", 1));
    patches.offerNow(Map.of("mode", Map.of("ac", 200)));
    Thread.sleep(200);
    assertEquals(0, sent.size());

    patches.connected(true);

    await(() -> sent.size() == 1, "the waiting patch");
    assertEquals(Map.of("status", Map.of("n", 1), "mode", Map.of("ac", 200)), sent.get(0));
  }

  @Test
  void drain_sends_what_waits_at_once_on_shutdown() throws Exception {
    ReportedPatches patches = new ReportedPatches(executor, sent::add, Duration.ofHours(1),
        Duration.ofMillis(50), System::nanoTime);
    patches.connected(true);
    patches.offer("status", Map.of("activation", "Active"));
    await(() -> sent.size() == 1, "the first status");
    patches.offer("status", Map.of("activation", "Inactive"));

    patches.drain(Duration.ofSeconds(5));

    assertEquals(Map.of("status", Map.of("activation", "Inactive")), sent.get(1));
  }

  @Test
  void a_status_equal_to_what_the_hub_has_is_not_sent_again() throws Exception {
    ReportedPatches patches = new ReportedPatches(executor, sent::add, Duration.ofMillis(10),
        Duration.ofMillis(50), System::nanoTime);
    patches.connected(true);
    patches.offer("status", Map.of("state", "Succeeded"));
    await(() -> sent.size() == 1, "the first status");

    patches.offer("status", Map.of("state", "Succeeded"));
    Thread.sleep(200);
    assertEquals(1, sent.size(), sent.toString());

    patches.offer("status", Map.of("state", "Failed"));
    await(() -> sent.size() == 2, "the changed status");
  }
}
