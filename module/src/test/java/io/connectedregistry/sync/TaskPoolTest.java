package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TaskPoolTest {
  @Test
  void aFreedSlotGoesToTheNextTaskWhoeverSubmittedIt() {
    TaskPool pool = new TaskPool(3);
    List<Promise<Void>> started = new ArrayList<>();
    List<String> order = new ArrayList<>();
    List<Future<Void>> firstRepository = new ArrayList<>();
    List<Future<Void>> secondRepository = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      String name = "a" + i;
      firstRepository.add(pool.submit(() -> start(name, order, started)));
    }
    for (int i = 0; i < 3; i++) {
      String name = "b" + i;
      secondRepository.add(pool.submit(() -> start(name, order, started)));
    }
    assertEquals(List.of("a0", "a1", "b0"), order, "three slots, first come first started");
    started.get(0).complete(); // a0 ends: the first repository is not done, yet b1 starts now
    assertEquals(List.of("a0", "a1", "b0", "b1"), order);
    assertEquals(3, pool.running());
    started.get(1).complete();
    assertTrue(Future.join(new ArrayList<>(firstRepository)).succeeded(), "a repository's tasks done when its own end");
    assertEquals(List.of("a0", "a1", "b0", "b1", "b2"), order);
    started.get(2).fail("b0 failed");
    started.get(3).complete();
    started.get(4).complete();
    assertTrue(secondRepository.get(0).failed(), "each task's own outcome");
    assertTrue(secondRepository.get(2).succeeded());
    assertEquals(0, pool.running());
  }

  @Test
  void neverMoreInFlightThanItsSlotsWhateverTheOrderTheyEnd() {
    TaskPool pool = new TaskPool(4);
    List<Promise<Void>> started = new ArrayList<>();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    List<Future<Void>> all = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      all.add(pool.submit(() -> {
        most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        Promise<Void> p = Promise.promise();
        started.add(p);
        return p.future().onComplete(v -> inFlight.decrementAndGet());
      }));
    }
    java.util.Random random = new java.util.Random(7);
    while (started.stream().anyMatch(p -> !p.future().isComplete())) {
      List<Promise<Void>> open = started.stream().filter(p -> !p.future().isComplete()).toList();
      open.get(random.nextInt(open.size())).complete();
    }
    assertEquals(4, most.get());
    assertEquals(40, started.size());
    assertTrue(all.stream().allMatch(Future::succeeded));
  }

  @Test
  void thousandsOfTasksThatEndAtOnceStartOneAfterAnotherWithoutDeepening() {
    TaskPool pool = new TaskPool(2);
    Promise<Void> gate = Promise.promise();
    pool.submit(() -> gate.future()); // holds one slot
    pool.submit(() -> gate.future()); // and the other: everything below waits
    List<Future<Void>> quick = new ArrayList<>();
    for (int i = 0; i < 200_000; i++) {
      quick.add(pool.submit(Future::succeededFuture)); // as a stopped cycle's copies do
    }
    gate.complete(); // each ends as it starts: a recursive start would overflow the stack
    assertTrue(quick.stream().allMatch(Future::succeeded));
    assertEquals(0, pool.running());
  }

  private static Future<Void> start(String name, List<String> order, List<Promise<Void>> started) {
    order.add(name);
    Promise<Void> p = Promise.promise();
    started.add(p);
    return p.future();
  }
}
