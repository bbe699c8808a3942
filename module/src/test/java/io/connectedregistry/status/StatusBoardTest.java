package io.connectedregistry.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.connectedregistry.config.RegistryConfig.Mode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StatusBoardTest {
  private final ExecutorService notifier = Executors.newSingleThreadExecutor();
  private final StatusBoard board = new StatusBoard(RegistryStatus.starting(Mode.ReadOnly, "1.2.3", true), notifier);

  @AfterEach
  void stop() {
    notifier.shutdownNow();
  }

  /** Waits until every notification queued so far has been delivered. */
  private void drain() throws Exception {
    notifier.submit(() -> { }).get(10, TimeUnit.SECONDS);
  }

  @Test
  void aListenerHearsOfEachChangeOnceInOrder() throws Exception {
    List<RegistryStatus[]> heard = new CopyOnWriteArrayList<>();
    board.subscribe((before, after) -> heard.add(new RegistryStatus[] {before, after}));
    RegistryStatus start = board.current();

    RegistryStatus active = board.update(s -> s.withActivation(Activation.Active));
    RegistryStatus writable = board.update(s -> s.withMode(Mode.ReadWrite));
    drain();

    assertEquals(2, heard.size(), "two changes, two notifications");
    assertSame(start, heard.get(0)[0]);
    assertSame(active, heard.get(0)[1]);
    assertSame(active, heard.get(1)[0]);
    assertSame(writable, heard.get(1)[1]);
    assertEquals(Activation.Active, board.current().activation());
    assertEquals(Mode.ReadWrite, board.current().mode());
  }

  @Test
  void anUpdateThatChangesNothingTellsNobody() throws Exception {
    board.update(s -> s.withStorage(new RegistryStatus.Storage(10, 1, 2, 100)));
    List<RegistryStatus> heard = new CopyOnWriteArrayList<>();
    board.subscribe((before, after) -> heard.add(after));
    RegistryStatus held = board.current();

    // An equal status built anew (as a periodic refresh does), and the very same one.
    RegistryStatus returned = board.update(s -> s.withStorage(new RegistryStatus.Storage(10, 1, 2, 100)));
    board.update(s -> s);
    drain();

    assertTrue(heard.isEmpty(), "equal status, yet listeners heard: " + heard);
    assertSame(held, returned, "the board keeps the status it had");
  }

  @Test
  void aFailingListenerDoesNotSilenceTheOthers() throws Exception {
    List<Activation> heard = new ArrayList<>();
    board.subscribe((before, after) -> {
      throw new IllegalStateException("listener bug");
    });
    board.subscribe((before, after) -> heard.add(after.activation()));

    board.update(s -> s.withActivation(Activation.Active));
    drain();

    assertEquals(List.of(Activation.Active), heard);
  }

  @Test
  void concurrentUpdatesAreEachToldOnceAndNoneIsLost() throws Exception {
    List<Long> heard = new CopyOnWriteArrayList<>();
    board.subscribe((before, after) -> heard.add(after.upstreamQueue().pending()));
    ExecutorService writers = Executors.newFixedThreadPool(4);
    try {
      for (int i = 0; i < 200; i++) {
        writers.execute(() -> board.update(s -> s.withUpstreamQueue(
            new RegistryStatus.UpstreamQueue(s.upstreamQueue().pending() + 1, 0))));
      }
      writers.shutdown();
      assertTrue(writers.awaitTermination(30, TimeUnit.SECONDS));
    } finally {
      writers.shutdownNow();
    }
    drain();

    assertEquals(200, board.current().upstreamQueue().pending(), "no increment lost");
    List<Long> expected = new ArrayList<>();
    for (long n = 1; n <= 200; n++) {
      expected.add(n);
    }
    assertEquals(expected, heard, "each change told once, in the order made");
  }
}
